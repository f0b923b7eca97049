using System.Security.Cryptography;
using P2PShare.Bencode;
using P2PShare.Metainfo;

namespace P2PShare.Tests.Metainfo;

/// <summary>
/// BEP 52 metainfo made by our creator: merkle arithmetic, v2/hybrid parsing, piece checks by both hash kinds, and
/// hostile v2 metainfo refused with a clear error. (Agreement with libtorrent's own output: V2InteropTests.)
/// </summary>
[TestFixture]
public sealed class V2MetainfoTests
{
    private const int PieceLength = 32 * 1024;
    private string _dir = null!;

    [SetUp]
    public void SetUp()
    {
        _dir = Path.Combine(Path.GetTempPath(), "p2pshare-v2-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(_dir);
    }

    [TearDown]
    public void TearDown() => Directory.Delete(_dir, recursive: true);

    private byte[] Write(string relative, int length, int seed)
    {
        var path = Path.Combine(_dir, "tree", relative);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var bytes = new byte[length];
        new Random(seed).NextBytes(bytes);
        File.WriteAllBytes(path, bytes);
        return bytes;
    }

    /// <summary>A tree with a file smaller than a piece, an empty one, and one of several pieces with a short tail.</summary>
    private async Task<(byte[] Torrent, byte[] Small, byte[] Large)> CreateTreeAsync(TorrentVersion version)
    {
        var small = Write("a.bin", 5000, 1);
        Write("empty.txt", 0, 2);
        var large = Write("sub/b.bin", 3 * PieceLength + 1234, 3);
        var options = new TorrentCreationOptions { PieceLength = PieceLength, Version = version, CreatedBy = "test" };
        var plan = TorrentCreator.Plan(Path.Combine(_dir, "tree"), options);
        return (await TorrentCreator.CreateAsync(plan, options, null, CancellationToken.None), small, large);
    }

    [Test]
    public void PadHashesAreMerkleRootsOfZeroLeaves()
    {
        Assert.That(MerkleTree.PadHash(0).ToArray(), Is.EqualTo(new byte[32]));
        Assert.That(MerkleTree.PadHash(1).ToArray(), Is.EqualTo(SHA256.HashData(new byte[64])));
        var twoPads = MerkleTree.PadHash(1).ToArray().Concat(MerkleTree.PadHash(1).ToArray()).ToArray();
        Assert.That(MerkleTree.PadHash(2).ToArray(), Is.EqualTo(SHA256.HashData(twoPads)));
    }

    [Test]
    public void RootOfOneBlockIsItsHashAndThreeBlocksArePaddedToFour()
    {
        var data = new byte[3 * MerkleTree.BlockSize - 100];
        new Random(5).NextBytes(data);
        var root = new byte[32];
        MerkleTree.PieceHash(data.AsSpan(0, 1000), PieceLength, 1000, root);
        Assert.That(root, Is.EqualTo(SHA256.HashData(data.AsSpan(0, 1000))), "a file of one block: the root is that block's hash");

        var b0 = SHA256.HashData(data.AsSpan(0, MerkleTree.BlockSize));
        var b1 = SHA256.HashData(data.AsSpan(MerkleTree.BlockSize, MerkleTree.BlockSize));
        var b2 = SHA256.HashData(data.AsSpan(2 * MerkleTree.BlockSize));
        var expected = SHA256.HashData([.. SHA256.HashData([.. b0, .. b1]), .. SHA256.HashData([.. b2, .. new byte[32]])]);
        MerkleTree.PieceHash(data, 4 * MerkleTree.BlockSize, data.Length, root);
        Assert.That(root, Is.EqualTo(expected));
    }

    /// <summary>The textbook tree: all leaves (zero hashes past the end) listed, then pairs hashed layer by layer.</summary>
    private static byte[] NaiveRoot(byte[] data)
    {
        var blocks = Math.Max(1, (data.Length + MerkleTree.BlockSize - 1) / MerkleTree.BlockSize);
        var width = 1;
        while (width < blocks)
            width *= 2;
        var layer = Enumerable.Range(0, width).Select(i => i * MerkleTree.BlockSize < data.Length
            ? SHA256.HashData(data.AsSpan(i * MerkleTree.BlockSize, Math.Min(MerkleTree.BlockSize, data.Length - i * MerkleTree.BlockSize)))
            : new byte[32]).ToList();
        while (layer.Count > 1)
            layer = Enumerable.Range(0, layer.Count / 2).Select(i => SHA256.HashData([.. layer[2 * i], .. layer[2 * i + 1]])).ToList();
        return layer[0];
    }

    [TestCase(1)]
    [TestCase(3)]
    [TestCase(5)]
    [TestCase(9)]
    [TestCase(17)]
    public void RootsAgreeWithTheTextbookTreeWhateverThePadding(int blocks)
    {
        var data = new byte[blocks * MerkleTree.BlockSize - 77];
        new Random(blocks).NextBytes(data);
        var expected = NaiveRoot(data);
        var root = new byte[32];
        MerkleTree.PieceHash(data, 64 * MerkleTree.BlockSize, data.Length, root);
        Assert.That(root, Is.EqualTo(expected), "the whole file as one piece");

        // Through a piece layer of 2-block pieces: the pad nodes above the layer are roots of zero subtrees.
        const int piece = 2 * MerkleTree.BlockSize;
        if (data.Length > piece)
        {
            var layer = new List<byte>();
            for (var offset = 0; offset < data.Length; offset += piece)
            {
                var hash = new byte[32];
                MerkleTree.PieceHash(data.AsSpan(offset, Math.Min(piece, data.Length - offset)), piece, data.Length, hash);
                layer.AddRange(hash);
            }
            Assert.That(MerkleTree.RootFromPieceLayer(layer.ToArray(), piece, data.Length), Is.EqualTo(expected), "from the piece layer");
        }
    }

    [TestCase(TorrentVersion.V2)]
    [TestCase(TorrentVersion.Hybrid)]
    public async Task CreatedTorrentParsesWithRootsLayersAndAlignedFiles(TorrentVersion version)
    {
        var (bytes, small, large) = await CreateTreeAsync(version);
        var torrent = TorrentParser.Parse(bytes);

        Assert.That(torrent.Version, Is.EqualTo(version));
        Assert.That(torrent.V2!.InfoHash.Span.ToArray(), Is.EqualTo(SHA256.HashData(torrent.InfoBytes.Span)));
        if (version == TorrentVersion.V2)
            Assert.That(torrent.InfoHash, Is.EqualTo(torrent.V2.InfoHash.Truncated), "a v2-only torrent goes by its truncated v2 hash");
        else
            Assert.That(torrent.InfoHash.Span.ToArray(), Is.EqualTo(SHA1.HashData(torrent.InfoBytes.Span)));
        var real = torrent.Files.Where(f => !f.IsPadding).ToList();
        Assert.That(real.Select(f => f.DisplayPath), Is.EqualTo(new[] { "a.bin", "empty.txt", "sub/b.bin" }));
        Assert.That(real[0].PiecesRoot, Is.EqualTo(SHA256.HashData(small)), "a file of one block has its block hash as root");
        Assert.That(real[1].PiecesRoot, Is.Null, "an empty file has no root");
        Assert.That(real.Where(f => f.Length > 0).All(f => f.Offset % PieceLength == 0), Is.True, "every file starts a piece");
        Assert.That(torrent.PieceCount, Is.EqualTo(1 + 4));
        Assert.That(torrent.V2.PieceLayers, Has.Count.EqualTo(1), "only the file larger than a piece has a layer");

        // Each piece as the wire carries it (padding zeros included) passes; one flipped bit fails.
        var wire = new byte[torrent.TotalLength];
        small.CopyTo(wire, 0);
        large.CopyTo(wire, PieceLength);
        for (var p = 0; p < torrent.PieceCount; p++)
        {
            var piece = wire.AsSpan((int)torrent.PieceOffset(p), torrent.PieceSize(p)).ToArray();
            Assert.That(torrent.CheckPiece(p, piece), Is.EqualTo(PieceCheckResult.Good), $"piece {p}");
            piece[piece.Length / 2] ^= 1;
            Assert.That(torrent.CheckPiece(p, piece), Is.EqualTo(PieceCheckResult.Bad), $"corrupted piece {p}");
        }
    }

    [Test]
    public async Task HybridWhoseV1AndV2HashesDisagreeIsInconsistent()
    {
        var (bytes, small, _) = await CreateTreeAsync(TorrentVersion.Hybrid);
        var top = (BDictionary)BencodeDecoder.Decode(bytes);
        var info = (BDictionary)top["info"]!;
        // Replace the SHA-1 of piece 0 by that of other data: the merkle tree still vouches for the real data.
        var pieces = ((BString)info["pieces"]!).Bytes.ToArray();
        SHA1.HashData(new byte[PieceLength]).CopyTo(pieces, 0);
        info["pieces"] = new BString(pieces);
        var torrent = TorrentParser.Parse(BencodeEncoder.Encode(top));

        var piece = new byte[PieceLength];
        small.CopyTo(piece, 0);
        Assert.That(torrent.CheckPiece(0, piece), Is.EqualTo(PieceCheckResult.Inconsistent));
        Assert.That(torrent.CheckPiece(0, new byte[PieceLength]), Is.EqualTo(PieceCheckResult.Inconsistent));
    }

    private static Exception? Refusal(byte[] torrent, Action<BDictionary, BDictionary> mutate)
    {
        var top = (BDictionary)BencodeDecoder.Decode(torrent);
        mutate(top, (BDictionary)top["info"]!);
        return Assert.Throws<MetainfoException>(() => TorrentParser.Parse(BencodeEncoder.Encode(top)));
    }

    private static BDictionary Layers(BDictionary top) => (BDictionary)top["piece layers"]!;

    [Test]
    public async Task HostileV2MetainfoIsRefusedWithAClearError()
    {
        var (v2, _, _) = await CreateTreeAsync(TorrentVersion.V2);

        Assert.That(Refusal(v2, (top, _) =>
        {
            var (root, layer) = Layers(top).First();
            Layers(top).Set(root, new BString(((BString)layer).Bytes[..^32]));
        })!.Message, Does.Contain("piece layer of 'sub/b.bin' is 96 bytes, not 128"));

        Assert.That(Refusal(v2, (top, _) =>
        {
            var (root, layer) = Layers(top).First();
            var bad = ((BString)layer).Bytes.ToArray();
            bad[0] ^= 1;
            Layers(top).Set(root, new BString(bad));
        })!.Message, Does.Contain("does not hash to its pieces root"));

        Assert.That(Refusal(v2, (top, _) => top.Set(new BString("piece layers"), null))!.Message,
            Does.Contain("lacks the layer of file 'sub/b.bin'"));

        Assert.That(Refusal(v2, (_, info) =>
        {
            var node = new BDictionary { [""] = new BDictionary { ["length"] = new BInteger(1), ["pieces root"] = new BString(new byte[32]) } };
            for (var i = 0; i < 100; i++)
                node = new BDictionary { ["d"] = node };
            info["file tree"] = node;
        })!.Message, Does.Contain("nested more than").Or.Contain("nesting deeper than"));

        Assert.That(Refusal(v2, (_, info) => info["meta version"] = new BInteger(3))!.Message, Does.Contain("'meta version' 3"));
        Assert.That(Refusal(v2, (_, info) => info["piece length"] = new BInteger(3 * 16384))!.Message, Does.Contain("power of two"));
        Assert.That(Refusal(v2, (_, info) =>
        {
            var a = (BDictionary)((BDictionary)((BDictionary)info["file tree"]!)["a.bin"]!)[""]!;
            a["pieces root"] = new BString(new byte[31]);
        })!.Message, Does.Contain("'pieces root' is 31 bytes"));
        Assert.That(Refusal(v2, (_, info) => ((BDictionary)info["file tree"]!)[".."] = new BDictionary
        {
            [""] = new BDictionary { ["length"] = new BInteger(0) },
        })!.Message, Does.Contain("'..'"));
    }

    [Test]
    public async Task HybridWithPaddingInTheWrongPlaceIsRefused()
    {
        var (hybrid, _, _) = await CreateTreeAsync(TorrentVersion.Hybrid);
        BList Files(BDictionary info) => (BList)info["files"]!;

        // Padding moved before the first file.
        Assert.That(Refusal(hybrid, (_, info) =>
        {
            var items = Files(info).ToList();
            (items[0], items[1]) = (items[1], items[0]);
            info["files"] = new BList(items);
        })!.Message, Does.Contain("hybrid torrent"));

        // Padding of the wrong size (the pieces still add up: the last file's padding absorbs the difference).
        Assert.That(Refusal(hybrid, (_, info) =>
        {
            var items = Files(info).ToList();
            var pad = (BDictionary)items[1];
            pad["length"] = new BInteger(((BInteger)pad["length"]!).Value - 1);
            info["files"] = new BList(items);
        })!.Message, Does.Contain("padding after 'a.bin'"));

        // A v1 file the v2 tree does not have.
        Assert.That(Refusal(hybrid, (_, info) =>
        {
            var items = Files(info).ToList();
            items.Add(new BDictionary { ["length"] = new BInteger(0), ["path"] = new BList([new BString("extra")]) });
            info["files"] = new BList(items);
        })!.Message, Does.Contain("'extra' is not in the v2 file tree"));
    }

    [Test]
    public async Task LayersOfTheWrongSizeAndPaddingMissingOrWhereNoneBelongsAreRefused()
    {
        var (v2, _, _) = await CreateTreeAsync(TorrentVersion.V2);
        Assert.That(Refusal(v2, (top, _) =>
        {
            var (root, layer) = Layers(top).First();
            Layers(top).Set(root, new BString(((BString)layer).Bytes.ToArray().Concat(new byte[32]).ToArray()));
        })!.Message, Does.Contain("piece layer of 'sub/b.bin' is 160 bytes, not 128"), "one hash too many");
        Assert.That(Refusal(v2, (top, _) =>
        {
            var (root, layer) = Layers(top).First();
            Layers(top).Set(root, new BString(((BString)layer).Bytes.ToArray().Append((byte)0).ToArray()));
        })!.Message, Does.Contain("is 129 bytes, not 128"), "not a whole number of hashes");
        Assert.That(Refusal(v2, (top, _) =>
        {
            var (root, layer) = Layers(top).First();
            Layers(top).Set(root, new BString(Array.Empty<byte>()));
        })!.Message, Does.Contain("is 0 bytes, not 128"), "empty");

        var (hybrid, _, _) = await CreateTreeAsync(TorrentVersion.Hybrid);
        BList Files(BDictionary info) => (BList)info["files"]!;
        long Length(BValue file) => ((BInteger)((BDictionary)file)["length"]!).Value;

        // The padding after a.bin left out (the last file's padding grows by as much, so the v1 pieces still add up).
        Assert.That(Refusal(hybrid, (_, info) =>
        {
            var items = Files(info).ToList();
            var removed = Length(items[1]);
            items.RemoveAt(1);
            var last = (BDictionary)items[^1];
            last["length"] = new BInteger(Length(last) + removed);
            info["files"] = new BList(items);
        })!.Message, Does.Contain("no padding after 'a.bin'"));

        // A whole piece of padding after the last file's padding (with its SHA-1, so v1 is consistent).
        Assert.That(Refusal(hybrid, (_, info) =>
        {
            var items = Files(info).ToList();
            items.Add(new BDictionary
            {
                ["attr"] = new BString("p"),
                ["length"] = new BInteger(PieceLength),
                ["path"] = new BList([new BString(".pad"), new BString(PieceLength.ToString(System.Globalization.CultureInfo.InvariantCulture))]),
            });
            info["files"] = new BList(items);
            info["pieces"] = new BString(((BString)info["pieces"]!).Bytes.ToArray().Concat(SHA1.HashData(new byte[PieceLength])).ToArray());
        })!.Message, Does.Contain("where none belongs"));
    }

    [Test]
    public void MagnetLinksCarryV2AndHybridHashes()
    {
        var v2Hex = "624755c17c27378bc47160b9d6cb3007fdd8ddcd8cb90a160f527c6913279333";
        var v2Only = MagnetLink.Parse($"magnet:?xt=urn:btmh:1220{v2Hex}&dn=d");
        Assert.That(v2Only.InfoHashV2!.Hex, Is.EqualTo(v2Hex));
        Assert.That(v2Only.InfoHash.Hex, Is.EqualTo(v2Hex[..40]), "a v2-only magnet is known by the truncated hash");
        Assert.That(v2Only.ToString(), Does.StartWith($"magnet:?xt=urn:btmh:1220{v2Hex}&dn=d"));

        var hybrid = MagnetLink.Parse($"magnet:?xt=urn:btih:ff23e58ae35396aad46ed784d69c3e1d1695ad61&xt=urn:btmh:1220{v2Hex}");
        Assert.That(hybrid.InfoHash.Hex, Is.EqualTo("ff23e58ae35396aad46ed784d69c3e1d1695ad61"));
        Assert.That(hybrid.InfoHashV2!.Hex, Is.EqualTo(v2Hex));
        Assert.That(MagnetLink.Parse(hybrid.ToString()), Is.EqualTo(hybrid).Using<MagnetLink>((a, b) =>
            a.InfoHash.Equals(b.InfoHash) && a.InfoHashV2!.Equals(b.InfoHashV2)));

        Assert.Throws<MetainfoException>(() => MagnetLink.Parse("magnet:?xt=urn:btmh:1114" + new string('a', 40)));
        Assert.Throws<MetainfoException>(() => MagnetLink.Parse("magnet:?xt=urn:btmh:1220abcd"));
    }
}
