using System.Security.Cryptography;
using Microsoft.Extensions.Logging.Abstractions;
using P2PShare.Engine;
using P2PShare.Metainfo;
using P2PShare.Protocol;
using P2PShare.Protocol.Wire;

namespace P2PShare.Tests.Engine.V2;

/// <summary>
/// BEP 52 requests below the piece layer (a file's block hashes) answered from our data: each answer is compared hash for
/// hash with a textbook merkle tree built here from the bytes (every leaf listed, zero leaves past the end, pairs hashed
/// layer by layer), and folds to the file's root; pieces we lack are rejected; the work is bounded.
/// </summary>
[TestFixture]
public sealed class BlockHashServerTests
{
    private const int PieceLength = 4 * MerkleTree.BlockSize; // piece layer = 2
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(10);

    private sealed class Rig
    {
        private readonly List<Task> _work = [];

        public Rig(byte[] data, IPieceStore? store = null)
        {
            Source = V2TestTorrent.Create(data, PieceLength);
            Torrent = Source.WithLayer();
            File = Torrent.Files.Single(f => !f.IsPadding);
            Have = new Bitfield(Torrent.PieceCount);
            Have.SetAll();
            var content = new byte[Torrent.TotalLength];
            data.CopyTo(content, 0);
            Server = new BlockHashServer(Gate, Torrent, store ?? new InMemoryPieceStore(Torrent, content), Have, Track, CancellationToken.None,
                NullLogger.Instance);
            Tree = TextbookTree(data);
        }

        public V2TestTorrent Source { get; }

        public Torrent Torrent { get; }

        public TorrentFile File { get; }

        public object Gate { get; } = new();

        public Bitfield Have { get; }

        public BlockHashServer Server { get; }

        /// <summary>Every layer of the file's tree, leaves first.</summary>
        public List<byte[][]> Tree { get; }

        public HashRequest Request(int baseLayer, int index, int length, int proofLayers) =>
            new(Convert.ToHexStringLower(Source.Root), baseLayer, index, length, proofLayers);

        /// <summary>The server's answer (null: rejected) and whether it came at once (from the cache, or refused).</summary>
        public async Task<(byte[]? Answer, bool AtOnce)> AskAsync(HashRequest request)
        {
            var answered = new TaskCompletionSource<byte[]?>(TaskCreationOptions.RunContinuationsAsynchronously);
            lock (Gate)
                Server.Answer(File, request, answer => answered.TrySetResult(answer));
            var atOnce = answered.Task.IsCompleted;
            return (await answered.Task.WaitAsync(Bound), atOnce);
        }

        /// <summary>What a correct answer is: the base nodes, then the uncles, from the textbook tree.</summary>
        public byte[] Expected(HashRequest request)
        {
            var hashes = new List<byte>();
            for (var i = 0; i < request.Length; i++)
                hashes.AddRange(Tree[request.BaseLayer][request.Index + i]);
            var level = request.BaseLayer + System.Numerics.BitOperations.Log2((uint)request.Length);
            var position = request.Index / request.Length;
            for (; level <= request.BaseLayer + request.ProofLayers; level++, position /= 2)
                hashes.AddRange(Tree[level][position ^ 1]);
            return [.. hashes];
        }

        public int Running
        {
            get
            {
                lock (Gate)
                    return _work.Count(t => !t.IsCompleted);
            }
        }

        private void Track(Task task)
        {
            lock (Gate)
                _work.Add(task);
        }
    }

    private static List<byte[][]> TextbookTree(byte[] data)
    {
        var blocks = Math.Max(1, (data.Length + MerkleTree.BlockSize - 1) / MerkleTree.BlockSize);
        var width = 1;
        while (width < blocks)
            width *= 2;
        var leaves = new byte[width][];
        for (var i = 0; i < width; i++)
        {
            var start = i * MerkleTree.BlockSize;
            leaves[i] = start < data.Length ? SHA256.HashData(data.AsSpan(start, Math.Min(MerkleTree.BlockSize, data.Length - start))) : new byte[32];
        }
        var tree = new List<byte[][]> { leaves };
        while (tree[^1].Length > 1)
        {
            var below = tree[^1];
            tree.Add(Enumerable.Range(0, below.Length / 2).Select(i => SHA256.HashData([.. below[2 * i], .. below[2 * i + 1]])).ToArray());
        }
        return tree;
    }

    private static void AssertFoldsToRoot(byte[] answer, HashRequest request, Rig rig)
    {
        var top = new byte[32];
        var (layer, index) = MerkleProof.Fold(answer, request.BaseLayer, request.Index, request.Length, top);
        Assert.That((layer, index), Is.EqualTo((rig.Tree.Count - 1, 0L)), "the proof reaches the root");
        Assert.That(top, Is.EqualTo(rig.Source.Root));
    }

    [Test, CancelAfter(30_000)]
    public async Task BlockHashesOfAPieceAreComputedFromOurDataWithTheirProofAndThenServedFromTheCache()
    {
        // 4.5 pieces: 18 blocks + a short one = 19 leaves, padded to 32 (height 5; piece layer 2, 8 nodes wide).
        var rig = new Rig(V2TestTorrent.RandomData(4 * PieceLength + 2 * MerkleTree.BlockSize + 700, seed: 11));
        Assert.That(rig.Tree, Has.Count.EqualTo(6));

        // The four block hashes of piece 2 with the proof up to the root (libtorrent's count: height - base - 1).
        var request = rig.Request(baseLayer: 0, index: 8, length: 4, proofLayers: 4);
        var (answer, atOnce) = await rig.AskAsync(request);
        Assert.That(atOnce, Is.False, "the first time the piece is read and hashed");
        Assert.That(answer, Is.EqualTo(rig.Expected(request)));
        AssertFoldsToRoot(answer!, request, rig);
        lock (rig.Gate)
            Assert.That(rig.Server.PiecesHashed, Is.EqualTo(1));

        // Two blocks inside the piece: the uncles below the piece layer come from its other blocks.
        var inside = rig.Request(baseLayer: 0, index: 10, length: 2, proofLayers: 4);
        var (again, cached) = await rig.AskAsync(inside);
        Assert.That(cached, Is.True, "the piece's leaves are cached");
        Assert.That(again, Is.EqualTo(rig.Expected(inside)));
        AssertFoldsToRoot(again!, inside, rig);
        lock (rig.Gate)
        {
            Assert.That(rig.Server.PiecesHashed, Is.EqualTo(1), "no second read");
            Assert.That(rig.Server.CachedBytes, Is.EqualTo(4 * 32));
        }
        TestContext.Out.WriteLine($"answered {request} and {inside}; {rig.Server.CachedBytes} bytes of leaves cached");
    }

    [TestCase(0, 16, 16, 4)] // pieces 4 (the short tail) to 7 (padding only)
    [TestCase(1, 4, 4, 0)]   // layer 1 of pieces 2 and 3, no uncles
    [TestCase(1, 0, 8, 3)]   // layer 1 of pieces 0 to 3, up to the root's child
    [TestCase(0, 0, 2, 1)]   // two blocks, one uncle
    public async Task RangesAcrossPiecesAndPaddingMatchTheTextbookTree(int baseLayer, int index, int length, int proofLayers)
    {
        var rig = new Rig(V2TestTorrent.RandomData(4 * PieceLength + 2 * MerkleTree.BlockSize + 700, seed: 12));
        var request = rig.Request(baseLayer, index, length, proofLayers);
        var (answer, _) = await rig.AskAsync(request);
        Assert.That(answer, Is.EqualTo(rig.Expected(request)));
        if (baseLayer + proofLayers == rig.Tree.Count - 2)
            AssertFoldsToRoot(answer!, request, rig);
    }

    [Test, CancelAfter(30_000)]
    public async Task AFileSmallerThanAPieceIsAnsweredBelowItsRoot()
    {
        // 100,000 bytes: 7 blocks padded to 8, height 3, one piece whose hash is the root.
        var rig = new Rig(V2TestTorrent.RandomData(100_000, seed: 13));
        var request = rig.Request(baseLayer: 0, index: 4, length: 4, proofLayers: 2);
        var (answer, _) = await rig.AskAsync(request);
        Assert.That(answer, Is.EqualTo(rig.Expected(request)));
        AssertFoldsToRoot(answer!, request, rig);
    }

    [Test, CancelAfter(30_000)]
    public async Task PiecesWeDoNotHaveAndInvalidRangesAreRejected()
    {
        var rig = new Rig(V2TestTorrent.RandomData(4 * PieceLength, seed: 14));
        lock (rig.Gate)
            rig.Have[1] = false;
        var (missing, atOnce) = await rig.AskAsync(rig.Request(0, 4, 4, 3));
        Assert.That(missing, Is.Null, "a piece we do not have");
        Assert.That(atOnce, Is.True, "refused without reading anything");
        Assert.That((await rig.AskAsync(rig.Request(0, 0, 16, 3))).Answer, Is.Null, "a range that includes it");
        Assert.That((await rig.AskAsync(rig.Request(0, 2, 4, 3))).Answer, Is.Null, "misaligned");
        Assert.That((await rig.AskAsync(rig.Request(0, 0, 4, 4))).Answer, Is.Null, "an uncle at the root");
        Assert.That((await rig.AskAsync(rig.Request(2, 0, 2, 1))).Answer, Is.Null, "the piece layer is not this server's");
        Assert.That((await rig.AskAsync(rig.Request(0, 8, 4, 3))).Answer, Is.Not.Null, "a piece we have");
        lock (rig.Gate)
            Assert.That(rig.Server.PiecesHashed, Is.EqualTo(1), "only the piece we have was read");
    }

    [Test, CancelAfter(30_000)]
    public async Task AtMostTwoComputationsRunAtOnceAndMoreAreRejected()
    {
        var data = V2TestTorrent.RandomData(4 * PieceLength, seed: 15);
        var source = V2TestTorrent.Create(data, PieceLength);
        var content = new byte[4 * PieceLength];
        data.CopyTo(content, 0);
        var gated = new GatedStore(new InMemoryPieceStore(source.WithLayer(), content));
        var rig = new Rig(data, gated);

        var first = rig.AskAsync(rig.Request(0, 0, 4, 3));
        var second = rig.AskAsync(rig.Request(0, 4, 4, 3));
        var (third, atOnce) = await rig.AskAsync(rig.Request(0, 8, 4, 3));
        Assert.That(third, Is.Null, "a third computation while two run");
        Assert.That(atOnce, Is.True);
        Assert.That(BlockHashServer.MaxConcurrent, Is.EqualTo(2));

        gated.Open();
        Assert.That((await first).Answer, Is.Not.Null);
        Assert.That((await second).Answer, Is.Not.Null);
        Assert.That((await rig.AskAsync(rig.Request(0, 8, 4, 3))).Answer, Is.EqualTo(rig.Expected(rig.Request(0, 8, 4, 3))), "room again");
    }

    [Test]
    public void TheCacheKeepsToItsCap()
    {
        var rig = new Rig(V2TestTorrent.RandomData(4 * PieceLength, seed: 16));
        var small = new BlockHashServer(rig.Gate, rig.Torrent, new InMemoryPieceStore(rig.Torrent), rig.Have, _ => { }, CancellationToken.None,
            NullLogger.Instance, cacheBytes: 2 * 4 * 32);
        Assert.That(small.CacheBytes, Is.EqualTo(256));
        for (var piece = 0; piece < 4; piece++)
        {
            var answered = new TaskCompletionSource<byte[]?>(TaskCreationOptions.RunContinuationsAsynchronously);
            lock (rig.Gate)
                small.Answer(rig.File, rig.Request(0, piece * 4, 4, 3), a => answered.TrySetResult(a));
            Assert.That(answered.Task.Wait(Bound), Is.True);
            lock (rig.Gate)
                Assert.That(small.CachedBytes, Is.LessThanOrEqualTo(256));
        }
        lock (rig.Gate)
            Assert.That(small.PiecesHashed, Is.EqualTo(4));
    }

    private sealed class GatedStore(InMemoryPieceStore inner) : IPieceStore
    {
        private readonly TaskCompletionSource _open = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public void Open() => _open.TrySetResult();

        public ValueTask WritePieceAsync(int pieceIndex, ReadOnlyMemory<byte> data, CancellationToken cancellationToken) =>
            inner.WritePieceAsync(pieceIndex, data, cancellationToken);

        public async ValueTask ReadAsync(int pieceIndex, int offset, Memory<byte> destination, CancellationToken cancellationToken)
        {
            await _open.Task.WaitAsync(cancellationToken);
            await inner.ReadAsync(pieceIndex, offset, destination, cancellationToken);
        }

        public ValueTask FlushAsync(CancellationToken cancellationToken) => ValueTask.CompletedTask;

        public ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }
}
