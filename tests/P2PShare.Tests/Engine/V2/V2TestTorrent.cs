using P2PShare.Bencode;
using P2PShare.Metainfo;

namespace P2PShare.Tests.Engine.V2;

/// <summary>
/// A single-file v2-only torrent built by hand from bytes with <see cref="MerkleTree"/>: its piece layer, its root, the
/// torrent as a .torrent gives it (with the layer) and as a magnet gives it (the info dictionary alone, no layer).
/// </summary>
internal sealed class V2TestTorrent
{
    private V2TestTorrent(byte[] data, int pieceLength, byte[] layer, byte[] root, BDictionary info)
    {
        Data = data;
        PieceLength = pieceLength;
        Layer = layer;
        Root = root;
        Info = info;
    }

    public byte[] Data { get; }

    public int PieceLength { get; }

    /// <summary>One hash per piece (empty for a file of at most one piece).</summary>
    public byte[] Layer { get; }

    public byte[] Root { get; }

    public BDictionary Info { get; }

    public static V2TestTorrent Create(byte[] data, int pieceLength, string name = "data.bin")
    {
        var pieces = (data.Length + pieceLength - 1) / pieceLength;
        byte[] layer = [];
        var root = new byte[MerkleTree.HashSize];
        if (data.Length > pieceLength)
        {
            layer = new byte[pieces * MerkleTree.HashSize];
            for (var p = 0; p < pieces; p++)
            {
                var start = p * pieceLength;
                MerkleTree.PieceHash(data.AsSpan(start, Math.Min(pieceLength, data.Length - start)), pieceLength, data.Length,
                    layer.AsSpan(p * MerkleTree.HashSize, MerkleTree.HashSize));
            }
            root = MerkleTree.RootFromPieceLayer(layer, pieceLength, data.Length);
        }
        else
        {
            MerkleTree.PieceHash(data, pieceLength, data.Length, root);
        }
        var info = new BDictionary
        {
            ["name"] = new BString(name),
            ["piece length"] = new BInteger(pieceLength),
            ["meta version"] = new BInteger(2),
            ["file tree"] = new BDictionary
            {
                [name] = new BDictionary { [""] = new BDictionary { ["length"] = new BInteger(data.Length), ["pieces root"] = new BString(root) } },
            },
        };
        return new V2TestTorrent(data, pieceLength, layer, root, info);
    }

    /// <summary>The torrent as a .torrent file gives it: the piece layer included.</summary>
    public Torrent WithLayer()
    {
        var top = new BDictionary { ["info"] = Info };
        if (Layer.Length > 0)
        {
            var layers = new BDictionary();
            layers.Set(new BString(Root), new BString(Layer));
            top["piece layers"] = layers;
        }
        return TorrentParser.Parse(BencodeEncoder.Encode(top));
    }

    /// <summary>The torrent as a magnet's metadata gives it: roots, no piece layer.</summary>
    public Torrent WithoutLayer() => TorrentParser.ParseInfo((BDictionary)BencodeDecoder.Decode(BencodeEncoder.Encode(Info)));

    public static byte[] RandomData(int length, int seed)
    {
        var data = new byte[length];
        new Random(seed).NextBytes(data);
        return data;
    }
}
