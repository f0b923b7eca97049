using P2PShare.Engine;
using P2PShare.Metainfo;
using P2PShare.Tests.Support;

namespace P2PShare.Tests.Engine;

/// <summary>
/// Small pieces (64 KiB here) wait for the rest of their 1 MiB window and reach the store in one vectored write; a
/// window that stays incomplete is written at its deadline, and stopping writes what waits.
/// </summary>
public partial class PieceVerifierTests
{
    /// <summary>A store that can write in place, recording each call; optionally failing.</summary>
    private sealed class DirectStore(Torrent torrent) : IPieceStore, IDirectPieceWriter
    {
        private readonly InMemoryPieceStore _inner = new(torrent);

        public byte[] Content => _inner.Content;

        public List<(int First, int Count)> Writes { get; } = [];

        /// <summary>Pieces the disk has room for (null: no limit); a write past it fails as a full disk does, midway.</summary>
        public int? Room { get; set; }

        private readonly HashSet<int> _stored = [];

        private void Take(int pieceIndex)
        {
            lock (_stored)
            {
                if (!_stored.Contains(pieceIndex) && _stored.Count >= Room)
                    throw new IOException("No space left on device");
                _stored.Add(pieceIndex);
            }
        }

        /// <summary>False: as storage with a file selection, in-place writes are declined and the asynchronous path is used.</summary>
        public bool InPlace { get; set; } = true;

        public int AsynchronousWrites;

        public bool TryWritePiece(int pieceIndex, ReadOnlySpan<byte> data, CancellationToken cancellationToken) =>
            throw new AssertionException("small pieces are written together");

        public bool TryWritePieces(int firstPiece, IReadOnlyList<ReadOnlyMemory<byte>> pieces, CancellationToken cancellationToken)
        {
            if (!InPlace)
                return false;
            lock (Writes)
                Writes.Add((firstPiece, pieces.Count));
            for (var k = 0; k < pieces.Count; k++)
            {
                Take(firstPiece + k);
                _inner.WritePieceAsync(firstPiece + k, pieces[k], cancellationToken).AsTask().GetAwaiter().GetResult();
            }
            return true;
        }

        public ValueTask WritePieceAsync(int pieceIndex, ReadOnlyMemory<byte> data, CancellationToken cancellationToken)
        {
            Interlocked.Increment(ref AsynchronousWrites);
            Take(pieceIndex);
            return _inner.WritePieceAsync(pieceIndex, data, cancellationToken);
        }

        public ValueTask ReadAsync(int pieceIndex, int offset, Memory<byte> destination, CancellationToken cancellationToken) =>
            _inner.ReadAsync(pieceIndex, offset, destination, cancellationToken);

        public ValueTask FlushAsync(CancellationToken cancellationToken) => ValueTask.CompletedTask;

        public ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }

    [Test, CancelAfter(30_000)]
    public async Task Sixteen_small_pieces_of_one_window_reach_the_store_in_one_vectored_write()
    {
        DirectStore? store = null;
        var swarm = new Swarm(RandomData(16 * PieceLength, seed: 21), store: t => store = new DirectStore(t));
        var peer = await ConnectPeerAsync(swarm, seed: 1);

        // Last to first: none is written before the window is whole.
        for (var index = 15; index >= 0; index--)
            swarm.Start(index, [peer, peer, peer, peer]);
        await swarm.Verifier.Completed.WaitAsync(Bound);

        Assert.That(store!.Writes, Is.EqualTo(new[] { (0, 16) }));
        Assert.That(store.Content, SameBytes.As(swarm.Data));
        Assert.That(swarm.Verified, Is.EquivalentTo(Enumerable.Range(0, 16)));
        await Eventually.UntilAsync(() => swarm.Verifier.JobsInFlight == 0, Bound, "the jobs to end");
    }

    [Test, CancelAfter(30_000)]
    public async Task A_piece_whose_window_stays_incomplete_is_stored_at_the_deadline_and_not_before()
    {
        DirectStore? store = null;
        await using var queue = new P2PShare.Engine.Disk.DiskQueue(new P2PShare.Engine.Disk.DiskQueueOptions());
        var swarm = new Swarm(RandomData(32 * PieceLength, seed: 22), store: t => store = new DirectStore(t), queue: queue);
        var peer = await ConnectPeerAsync(swarm, seed: 1);

        swarm.Start(3, [peer, peer, peer, peer]);
        await Eventually.UntilAsync(() => swarm.Verifier.PiecesAwaitingWrite == 1 && swarm.Verifier.JobsInFlight == 1, Bound, "piece 3 to be verified");
        lock (swarm.Gate)
            Assert.That(swarm.Have[3], Is.False, "not ours (no HAVE, not served) before it is written");
        Assert.That(queue.BytesHeld, Is.EqualTo(PieceLength), "a waiting piece still counts against the disk queue's budget");
        swarm.Time.Advance(PieceVerifier.CombineDeadline - TimeSpan.FromMilliseconds(1));
        Assert.That(store!.Writes, Is.Empty);

        swarm.Time.Advance(TimeSpan.FromMilliseconds(1));
        await Eventually.UntilAsync(() => { lock (swarm.Gate) return swarm.Have[3]; }, Bound, "piece 3 to be stored");
        Assert.That(store.Writes, Is.EqualTo(new[] { (3, 1) }));
        Assert.That(swarm.Verified, Is.EqualTo(new[] { 3 }));
        await Eventually.UntilAsync(() => swarm.Verifier.JobsInFlight == 0 && queue.BytesHeld == 0, Bound, "the job to end and its bytes to be released");
    }

    [Test, CancelAfter(30_000)]
    public async Task A_piece_a_streaming_read_waits_for_is_stored_at_once_not_held_for_its_window()
    {
        DirectStore? store = null;
        var swarm = new Swarm(RandomData(32 * PieceLength, seed: 24), store: t => store = new DirectStore(t));
        var peer = await ConnectPeerAsync(swarm, seed: 1);
        lock (swarm.Gate)
            swarm.Scheduler.Picker.SetDeadline(3, TimeSpan.FromSeconds(5));

        swarm.Start(3, [peer, peer, peer, peer]);
        swarm.Start(6, [peer, peer, peer, peer]);
        // The clock stands still: only piece 3, which has a deadline, may reach the store.
        await Eventually.UntilAsync(() => { lock (swarm.Gate) return swarm.Have[3]; }, Bound, "piece 3 to be stored");
        await Eventually.UntilAsync(() => swarm.Verifier.PiecesAwaitingWrite == 1, Bound, "piece 6 to be verified");
        Assert.That(store!.Writes, Is.EqualTo(new[] { (3, 1) }));
        lock (swarm.Gate)
            Assert.That(swarm.Have[6], Is.False, "piece 6, without a deadline, waits for its window");
    }

    [Test, CancelAfter(30_000)]
    public async Task Stopping_writes_the_verified_pieces_that_wait_for_their_window()
    {
        DirectStore? store = null;
        using var lifetime = new CancellationTokenSource();
        var swarm = new Swarm(RandomData(32 * PieceLength, seed: 23), store: t => store = new DirectStore(t), lifetime: lifetime.Token);
        var peer = await ConnectPeerAsync(swarm, seed: 1);
        swarm.Start(5, [peer, peer, peer, peer]);
        swarm.Start(6, [peer, peer, peer, peer]);
        await Eventually.UntilAsync(() => swarm.Verifier.PiecesAwaitingWrite == 2, Bound, "pieces 5 and 6 to be verified");

        await lifetime.CancelAsync();
        await Eventually.UntilAsync(() => swarm.Verifier.JobsInFlight == 0, Bound, "the held pieces to be written");
        Assert.That(store!.Writes, Is.EqualTo(new[] { (5, 2) }));
        lock (swarm.Gate)
            Assert.That(swarm.Have.SetIndices(), Is.EqualTo(new[] { 5, 6 }));
    }

    [Test, CancelAfter(30_000)]
    public async Task A_disk_that_fills_midway_through_a_window_keeps_the_pieces_that_fit_and_fails_the_download()
    {
        DirectStore? store = null;
        var swarm = new Swarm(RandomData(16 * PieceLength, seed: 24), store: t => store = new DirectStore(t) { Room = 10 });
        var peer = await ConnectPeerAsync(swarm, seed: 1);
        for (var index = 0; index < 16; index++)
            swarm.Start(index, [peer, peer, peer, peer]);

        Assert.That(async () => await swarm.Verifier.Failed.WaitAsync(Bound), Throws.InstanceOf<IOException>());
        await Eventually.UntilAsync(() => swarm.Verifier.JobsInFlight == 0, Bound, "every piece to be released");
        Assert.That(swarm.Verifier.PiecesAwaitingWrite, Is.Zero);
        // The vectored write stopped at piece 10 with 0-9 on disk: those are ours (and so in the resume data).
        lock (swarm.Gate)
            Assert.That(swarm.Have.SetIndices(), Is.EqualTo(Enumerable.Range(0, 10)));
        Assert.That(store!.Content.AsSpan(0, 10 * PieceLength).ToArray(), SameBytes.As(swarm.Data.AsSpan(0, 10 * PieceLength).ToArray()));
    }

    [Test, CancelAfter(30_000)]
    public async Task A_window_the_store_declines_to_write_in_place_is_written_piece_by_piece_the_asynchronous_way()
    {
        DirectStore? store = null;
        var swarm = new Swarm(RandomData(16 * PieceLength, seed: 25), store: t => store = new DirectStore(t) { InPlace = false });
        var peer = await ConnectPeerAsync(swarm, seed: 1);
        for (var index = 0; index < 16; index++)
            swarm.Start(index, [peer, peer, peer, peer]);

        await swarm.Verifier.Completed.WaitAsync(Bound);
        Assert.That(store!.Writes, Is.Empty);
        Assert.That(store.AsynchronousWrites, Is.EqualTo(16));
        Assert.That(store.Content, SameBytes.As(swarm.Data));
        await Eventually.UntilAsync(() => swarm.Verifier.JobsInFlight == 0, Bound, "the jobs to end");
    }
}
