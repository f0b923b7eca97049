using System.Security.Cryptography;
using P2PShare.Bencode;

namespace P2PShare.Metainfo;

/// <summary>BEP 52: v2-only and hybrid info dictionaries, and the top-level 'piece layers'.</summary>
internal static partial class TorrentParser
{
    /// <summary>True for a v2 or hybrid info dictionary ('meta version' 2); refuses other versions.</summary>
    private static bool IsV2(BDictionary info)
    {
        var version = info["meta version"];
        if (version is null)
        {
            if (info.ContainsKey("file tree"))
                throw new MetainfoException("info has a 'file tree' but no 'meta version'");
            return false;
        }
        if (version is not BInteger { Value: 2 })
            throw new MetainfoException($"'meta version' {version} is not supported (only 2)");
        return true;
    }

    private static int ReadV2PieceLength(BDictionary info)
    {
        var value = info.Get<BInteger>("piece length")?.Value ?? throw new MetainfoException("info has no 'piece length'");
        if (value < MerkleTree.BlockSize || value > 512L * 1024 * 1024 || (value & (value - 1)) != 0)
            throw new MetainfoException($"piece length {value} is not a power of two of at least 16 KiB (BEP 52)");
        return (int)value;
    }

    private static ReadOnlyMemory<byte> RawInfo(BDictionary info) => info.Raw.IsEmpty ? BencodeEncoder.Encode(info) : info.Raw;

    private static Torrent ParseV2Only(BDictionary info)
    {
        var name = ReadName(info);
        var pieceLength = ReadV2PieceLength(info);
        var entries = V2FileTree.Read(info);
        var files = new List<TorrentFile>(entries.Count * 2);
        long offset = 0;
        foreach (var entry in entries)
        {
            if (offset > long.MaxValue - entry.Length - pieceLength)
                throw new MetainfoException("total length overflows");
            files.Add(new TorrentFile(entry.PathSegments, entry.Length, offset, PiecesRoot: entry.PiecesRoot));
            offset += entry.Length;
            // Every file starts on a piece boundary: the gap is padding, as libtorrent lays v2 torrents out.
            if (PadLength(entry.Length, pieceLength) is var pad and > 0)
            {
                files.Add(new TorrentFile([".pad", pad.ToString(System.Globalization.CultureInfo.InvariantCulture)], pad, offset, IsPadding: true));
                offset += pad;
            }
        }
        if (entries.All(e => e.Length == 0))
            throw new MetainfoException("torrent has no data (total length is 0)");
        if (offset / pieceLength > int.MaxValue)
            throw new MetainfoException("torrent has too many pieces");
        var isMultiFile = !(entries.Count == 1 && entries[0].PathSegments.Count == 1 && entries[0].PathSegments[0] == name);
        var raw = RawInfo(info);
        var hash = new InfoHashV2(SHA256.HashData(raw.Span));
        return new Torrent(hash.Truncated, raw, name, pieceLength, ReadOnlyMemory<byte>.Empty, files, isMultiFile)
        {
            V2 = new TorrentV2Part(hash),
        };
    }

    /// <summary>Bytes of padding after a file of <paramref name="length"/> so that the next file starts a piece.</summary>
    internal static long PadLength(long length, int pieceLength) => length % pieceLength == 0 ? 0 : pieceLength - length % pieceLength;

    /// <summary>
    /// Checks that a hybrid's v1 file list is its v2 file tree with BEP 47 padding after each file that does not
    /// end on a piece boundary (optional after the last), and gives each file its pieces root.
    /// </summary>
    private static Torrent AttachHybrid(Torrent v1, BDictionary info)
    {
        var pieceLength = ReadV2PieceLength(info);
        var entries = V2FileTree.Read(info);
        var files = new List<TorrentFile>(v1.Files.Count);
        var next = 0;
        for (var e = 0; e < entries.Count; e++)
        {
            var entry = entries[e];
            var display = string.Join('/', entry.PathSegments);
            if (next >= v1.Files.Count)
                throw new MetainfoException($"hybrid torrent: file '{display}' of the v2 file tree is missing from the v1 file list");
            var file = v1.Files[next++];
            var v1Path = v1.IsMultiFile ? file.PathSegments : (IReadOnlyList<string>)[v1.Name];
            if (file.IsPadding || !v1Path.SequenceEqual(entry.PathSegments, StringComparer.Ordinal) || file.Length != entry.Length)
                throw new MetainfoException(
                    $"hybrid torrent: v1 file {next - 1} ('{file.DisplayPath}', {file.Length} bytes) is not the v2 tree's '{display}' ({entry.Length} bytes)");
            if (entry.Length > 0 && file.Offset % pieceLength != 0)
                throw new MetainfoException($"hybrid torrent: file '{display}' does not start on a piece boundary (padding missing or in the wrong place)");
            files.Add(file with { PiecesRoot = entry.PiecesRoot });
            var pad = PadLength(entry.Length, pieceLength);
            var isLast = e == entries.Count - 1;
            if (pad > 0 && next < v1.Files.Count && v1.Files[next].IsPadding)
            {
                var padFile = v1.Files[next++];
                if (padFile.Length != pad)
                    throw new MetainfoException($"hybrid torrent: the padding after '{display}' is {padFile.Length} bytes, not {pad}");
                files.Add(padFile);
            }
            else if (pad > 0 && !isLast)
            {
                throw new MetainfoException($"hybrid torrent: no padding after '{display}' to align the next file");
            }
        }
        if (next != v1.Files.Count)
        {
            var extra = v1.Files[next];
            throw new MetainfoException(extra.IsPadding
                ? $"hybrid torrent: padding file '{extra.DisplayPath}' where none belongs"
                : $"hybrid torrent: v1 file '{extra.DisplayPath}' is not in the v2 file tree");
        }
        var hash = new InfoHashV2(SHA256.HashData(v1.InfoBytes.Span));
        return new Torrent(v1.InfoHash, v1.InfoBytes, v1.Name, v1.PieceLength, v1.PieceHashes, files, v1.IsMultiFile)
        {
            V2 = new TorrentV2Part(hash),
        };
    }

    /// <summary>
    /// Reads the top-level 'piece layers' of a v2 or hybrid .torrent: every file larger than a piece must have its
    /// layer, of the right size, hashing up to the file's pieces root.
    /// </summary>
    private static TorrentV2Part ReadPieceLayers(Torrent torrent, BDictionary top)
    {
        var layers = top["piece layers"] as BDictionary;
        if (top["piece layers"] is not null && layers is null)
            throw new MetainfoException("'piece layers' is not a dictionary");
        var byRoot = new Dictionary<string, BString>(StringComparer.Ordinal);
        foreach (var (key, value) in layers ?? [])
        {
            if (value is not BString layerValue)
                throw new MetainfoException("a 'piece layers' entry is not a string");
            if (key.Span.Length == MerkleTree.HashSize)
                byRoot[Convert.ToHexStringLower(key.Span)] = layerValue;
        }
        var found = new Dictionary<string, ReadOnlyMemory<byte>>(StringComparer.Ordinal);
        foreach (var file in torrent.Files)
        {
            if (file.IsPadding || file.Length <= torrent.PieceLength)
                continue;
            var key = Convert.ToHexStringLower(file.PiecesRoot!);
            if (found.ContainsKey(key))
                continue;
            if (!byRoot.TryGetValue(key, out var layer))
                throw new MetainfoException($"'piece layers' lacks the layer of file '{file.DisplayPath}'");
            CheckPieceLayer(file, torrent.PieceLength, layer.Span);
            found[key] = layer.Bytes;
        }
        return torrent.V2!.WithLayers(found);
    }

    /// <summary>Throws unless <paramref name="layer"/> is the piece layer of <paramref name="file"/> (size and root).</summary>
    public static void CheckPieceLayer(TorrentFile file, int pieceLength, ReadOnlySpan<byte> layer)
    {
        ArgumentNullException.ThrowIfNull(file);
        var pieces = (file.Length + pieceLength - 1) / pieceLength;
        if (layer.Length != pieces * MerkleTree.HashSize)
            throw new MetainfoException(
                $"the piece layer of '{file.DisplayPath}' is {layer.Length} bytes, not {pieces * MerkleTree.HashSize} ({pieces} pieces of 32 bytes)");
        var root = MerkleTree.RootFromPieceLayer(layer, pieceLength, file.Length);
        if (!root.AsSpan().SequenceEqual(file.PiecesRoot))
            throw new MetainfoException($"the piece layer of '{file.DisplayPath}' does not hash to its pieces root");
    }
}
