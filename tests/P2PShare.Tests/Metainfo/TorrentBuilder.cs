using System.Security.Cryptography;
using P2PShare.Bencode;

namespace P2PShare.Tests.Metainfo;

/// <summary>Builds valid torrents as bencode trees, for tests to break one thing at a time.</summary>
internal static class TorrentBuilder
{
    public static BDictionary SingleFileInfo(long length = 100, int pieceLength = 16384, string name = "file.bin") => new()
    {
        ["name"] = new BString(name),
        ["length"] = new BInteger(length),
        ["piece length"] = new BInteger(pieceLength),
        ["pieces"] = new BString(new byte[20 * PieceCount(length, pieceLength)]),
    };

    public static BDictionary MultiFileInfo(params (string[] Path, long Length)[] files)
    {
        var total = files.Sum(f => f.Length);
        return new BDictionary
        {
            ["name"] = new BString("root"),
            ["piece length"] = new BInteger(16384),
            ["pieces"] = new BString(new byte[20 * PieceCount(total, 16384)]),
            ["files"] = new BList(files.Select(f => (BValue)new BDictionary
            {
                ["length"] = new BInteger(f.Length),
                ["path"] = new BList(f.Path.Select(p => (BValue)new BString(p))),
            })),
        };
    }

    public static byte[] Torrent(BDictionary info, Action<BDictionary>? top = null)
    {
        var root = new BDictionary { ["info"] = info, ["announce"] = new BString("http://tracker.example/announce") };
        top?.Invoke(root);
        return BencodeEncoder.Encode(root);
    }

    public static string InfoHashHex(BDictionary info) => Convert.ToHexStringLower(SHA1.HashData(BencodeEncoder.Encode(info)));

    private static long PieceCount(long length, int pieceLength) => Math.Max(0, (length + pieceLength - 1) / pieceLength);
}
