using System.Buffers;
using System.Net;
using P2PShare.Engine;
using P2PShare.Metainfo;
using P2PShare.Networking.Peers;
using P2PShare.Protocol.Wire;
using P2PShare.Tests.Support;

namespace P2PShare.Tests.Engine;

/// <summary>
/// Time-critical pieces in the request scheduler, with a manual clock and peers over in-memory connections (nothing is
/// read from them: what we asked each peer for is its <see cref="PeerSession.Outstanding"/> queue, what we cancelled
/// is its <see cref="PeerSession.Cancelled"/> set, and blocks "arrive" by calling the scheduler as the receive loop does).
/// </summary>
public class DeadlineSchedulingTests
{
    private const int PieceLength = 4 * PieceDownload.BlockLength;
    private const int Pieces = 64;
    private readonly List<IAsyncDisposable> _connections = [];
    private ManualTimeProvider _time = null!;
    private Torrent _torrent = null!;
    private byte[] _data = null!;
    private RequestScheduler _scheduler = null!;
    private EngineOptions _options = null!;

    [SetUp]
    public void SetUp()
    {
        _time = new ManualTimeProvider();
        (_torrent, _data) = SessionSwarmTests.MakeTorrent(Pieces * PieceLength, PieceLength, seed: 5);
        // The streaming queue: half a second of each peer's rate, at least 16 blocks.
        _options = new EngineOptions { RequestQueueSeconds = 0.5 };
        _scheduler = new RequestScheduler(_torrent, new P2PShare.Protocol.Bitfield(Pieces), new PiecePicker(Pieces, new Random(3), randomFirstPieces: 0, time: _time), _options, _time);
        // Ordinary pieces in order, so which ones a queue holds is known.
        _scheduler.Picker.SetSequential(true, []);
    }

    [TearDown]
    public async Task TearDown()
    {
        foreach (var connection in _connections)
            await connection.DisposeAsync();
        _connections.Clear();
    }

    /// <summary>A peer that has every piece and unchokes us, measured at <paramref name="bytesPerSecond"/> (after the clock moves one second).</summary>
    private async Task<PeerSession> PeerAsync(int seed, double bytesPerSecond)
    {
        var (ours, theirs) = InMemoryDuplexStream.CreatePair();
        var endPoint = new IPEndPoint(IPAddress.Loopback, 7000 + seed);
        var theirHandshake = new Handshake(ExtensionSupport.Reserved, _torrent.InfoHash, PeerId.CreateOurs(new Random(1000 + seed)));
        var accept = PeerConnection.HandshakeIncomingAsync(theirs, endPoint, _ => theirHandshake, "memory", CancellationToken.None);
        var connection = await PeerConnection.HandshakeOutgoingAsync(ours, endPoint,
            new Handshake(ExtensionSupport.Reserved, _torrent.InfoHash, PeerId.CreateOurs(new Random(seed))), "memory", CancellationToken.None);
        _connections.Add(connection);
        _connections.Add(await accept);
        var peer = new PeerSession(connection, Pieces, _time) { AmInterested = true, PeerChoking = false };
        peer.Has.SetAll();
        // The estimator averages the last five whole seconds.
        peer.DownloadRate.Add((long)(bytesPerSecond * 5));
        return peer;
    }

    private BlockOutcome Deliver(PeerSession peer, int piece, int block, IEnumerable<PeerSession> all)
    {
        var begin = block * PieceDownload.BlockLength;
        var payload = new ReadOnlySequence<byte>(_data, piece * PieceLength + begin, PieceDownload.BlockLength);
        var outcome = _scheduler.AcceptBlock(peer, new PeerMessage(MessageId.Piece, piece, begin, PieceDownload.BlockLength, payload), all, out var completed);
        completed?.Release();
        return outcome;
    }

    private static int[] PiecesOf(PeerSession peer) => [.. peer.Outstanding.Select(r => r.Piece).Distinct()];

    [Test, CancelAfter(10_000)]
    public async Task A_seek_cancels_the_ordinary_requests_behind_the_head_of_a_full_queue_and_the_deadline_blocks_go_first()
    {
        var peer = await PeerAsync(1, bytesPerSecond: 2_000_000);
        _time.Advance(TimeSpan.FromSeconds(1));
        _scheduler.FillRequests(peer);
        var target = _scheduler.QueueTarget(peer);
        Assert.That(peer.Outstanding, Has.Count.EqualTo(target), "the queue is full of ordinary requests");
        var ordinary = peer.Outstanding.ToList();
        Assert.That(ordinary.Select(r => r.Piece), Has.None.EqualTo(40));

        // The reader seeks: piece 40 is due in half a second; the queue holds ~0.5 s of data in front of it.
        _scheduler.Picker.SetDeadline(40, TimeSpan.FromMilliseconds(500));
        _scheduler.ServeDeadlines([peer], _time.GetTimestamp());

        var head = RequestScheduler.InFlightBlocks(peer);
        TestContext.Out.WriteLine($"queue target {target} blocks, kept at the head {head}, cancelled {_scheduler.RequestsCancelledForDeadlines}");
        Assert.That(peer.Outstanding.Take(head), Is.EqualTo(ordinary.Take(head)), "the head of the queue (on the wire already) is kept");
        Assert.That(peer.Outstanding.Skip(head).Take(4).Select(r => (r.Piece, r.Block)), Is.EqualTo(new[] { (40, 0), (40, 1), (40, 2), (40, 3) }),
            "the deadline piece's blocks come right after the head");
        Assert.That(_scheduler.RequestsCancelledForDeadlines, Is.EqualTo(target - head));
        Assert.That(peer.Cancelled, Has.Count.EqualTo(target - head), "a cancel went out for each ordinary request behind the head");
        foreach (var cancelled in ordinary.Skip(head))
            Assert.That(peer.Cancelled, Does.Contain(BlockRequest.Key(cancelled.Piece, cancelled.Block * PieceDownload.BlockLength)));
        Assert.That(peer.Outstanding, Has.Count.EqualTo(target), "the queue is refilled behind the deadline blocks");
    }

    [Test, CancelAfter(10_000)]
    public async Task A_deadline_far_enough_ahead_cancels_nothing()
    {
        var peer = await PeerAsync(1, bytesPerSecond: 2_000_000);
        _time.Advance(TimeSpan.FromSeconds(1));
        _scheduler.FillRequests(peer);
        var before = peer.Outstanding.ToList();

        // Ten seconds away: the half-second queue in front of it is no danger (steady streaming, a piece far ahead).
        _scheduler.Picker.SetDeadline(40, TimeSpan.FromSeconds(10));
        _scheduler.ServeDeadlines([peer], _time.GetTimestamp());
        Assert.That(peer.Cancelled, Is.Empty);
        Assert.That(peer.Outstanding, Is.EqualTo(before));

        // A block arrives and the queue refills: the deadline piece comes before any other new block.
        Deliver(peer, before[0].Piece, before[0].Block, [peer]);
        _scheduler.FillRequests(peer);
        Assert.That(peer.Outstanding[^1].Piece, Is.EqualTo(40));
    }

    [Test, CancelAfter(10_000)]
    public async Task A_late_deadline_block_is_asked_of_the_fastest_other_peer_and_the_first_copy_cancels_the_other()
    {
        var slow = await PeerAsync(1, bytesPerSecond: 400_000);
        var fast = await PeerAsync(2, bytesPerSecond: 3_000_000);
        var middling = await PeerAsync(3, bytesPerSecond: 600_000);
        PeerSession[] all = [slow, fast, middling];
        _time.Advance(TimeSpan.FromSeconds(1));
        // Only the slow peer's queue is filled; then the piece gets a deadline and goes to it.
        _scheduler.Picker.SetDeadline(10, TimeSpan.FromSeconds(2));
        _scheduler.FillRequests(slow);
        Assert.That(slow.Outstanding.Take(4).Select(r => r.Piece), Is.All.EqualTo(10));
        fast.PeerChoking = middling.PeerChoking = true;
        _scheduler.ServeDeadlines(all, _time.GetTimestamp());
        Assert.That(_scheduler.LateBlocksDuplicated, Is.Zero, "nothing is late yet, and the others choke us");
        fast.PeerChoking = middling.PeerChoking = false;
        _scheduler.FillRequests(fast);
        _scheduler.FillRequests(middling);

        // Block 0 is first in the slow peer's queue: at 400 kB/s it explains ~41 ms, late after 2 × that + 0.5 s.
        _time.Advance(TimeSpan.FromMilliseconds(400));
        _scheduler.ServeDeadlines(all, _time.GetTimestamp());
        Assert.That(_scheduler.LateBlocksDuplicated, Is.Zero, "on time: not duplicated");

        _time.Advance(TimeSpan.FromMilliseconds(300));
        _scheduler.ServeDeadlines(all, _time.GetTimestamp());
        TestContext.Out.WriteLine($"duplicated after 0.7 s: {_scheduler.LateBlocksDuplicated} block(s)");
        Assert.That(_scheduler.LateBlocksDuplicated, Is.GreaterThanOrEqualTo(1));
        // The fast peer's queue is long (its rate fills 16+ blocks) but it drains soonest: it gets the copy.
        Assert.That(fast.Outstanding.Exists(r => r is { Piece: 10, Block: 0 }), Is.True, "block 0 asked of the fast peer too");
        Assert.That(middling.Outstanding.Exists(r => r is { Piece: 10, Block: 0 }), Is.False, "one copy only");

        // The fast peer's copy arrives: the slow peer is told to cancel.
        Assert.That(Deliver(fast, 10, 0, all), Is.EqualTo(BlockOutcome.Accepted));
        Assert.That(slow.Outstanding.Exists(r => r is { Piece: 10, Block: 0 }), Is.False);
        Assert.That(slow.Cancelled, Does.Contain(BlockRequest.Key(10, 0)));
        // If the slow copy still comes (it was on the wire), it is not a protocol violation, and not taken twice.
        Assert.That(Deliver(slow, 10, 0, all), Is.EqualTo(BlockOutcome.Unwanted));
    }

    [Test, CancelAfter(10_000)]
    public async Task A_late_block_with_no_other_peer_stays_with_its_peer()
    {
        var only = await PeerAsync(1, bytesPerSecond: 400_000);
        _time.Advance(TimeSpan.FromSeconds(1));
        _scheduler.Picker.SetDeadline(10, TimeSpan.FromSeconds(1));
        _scheduler.FillRequests(only);
        var before = only.Outstanding.ToList();
        _time.Advance(TimeSpan.FromSeconds(3));
        _scheduler.ServeDeadlines([only], _time.GetTimestamp());
        Assert.That(_scheduler.LateBlocksDuplicated, Is.Zero);
        Assert.That(only.Outstanding.Take(4), Is.EqualTo(before.Take(4)), "its deadline requests are kept (nobody else can serve them)");
    }

    [Test, CancelAfter(10_000)]
    public async Task A_cancelled_block_that_arrives_anyway_is_taken_when_still_needed_and_a_reject_answers_the_cancel_not_the_new_request()
    {
        var peer = await PeerAsync(1, bytesPerSecond: 2_000_000);
        _time.Advance(TimeSpan.FromSeconds(1));
        _scheduler.FillRequests(peer);
        var head = RequestScheduler.InFlightBlocks(peer);
        var blockA = peer.Outstanding[head];
        var blockB = peer.Outstanding[head + 1];
        var keyA = BlockRequest.Key(blockA.Piece, blockA.Block * PieceDownload.BlockLength);
        var keyB = BlockRequest.Key(blockB.Piece, blockB.Block * PieceDownload.BlockLength);
        // A seek with more deadline blocks than the queue holds: nothing ordinary is asked for again.
        for (var piece = 40; piece < Pieces; piece++)
            _scheduler.Picker.SetDeadline(piece, TimeSpan.Zero);
        _scheduler.ServeDeadlines([peer], _time.GetTimestamp());
        Assert.That(peer.Cancelled, Does.Contain(keyA).And.Contain(keyB));
        Assert.That(peer.Outstanding.Skip(head).Select(r => r.Piece), Is.All.GreaterThanOrEqualTo(40));

        // The peer had sent block A already: it arrives after our cancel and nobody else has it, so it is kept.
        Assert.That(Deliver(peer, blockA.Piece, blockA.Block, [peer]), Is.EqualTo(BlockOutcome.Accepted));
        Assert.That(peer.Cancelled, Does.Not.Contain(keyA));

        // The deadlines go (the reader left); two head blocks arrive and block B is asked for again.
        for (var piece = 40; piece < Pieces; piece++)
            _scheduler.Picker.ClearDeadline(piece);
        Deliver(peer, peer.Outstanding[0].Piece, peer.Outstanding[0].Block, [peer]);
        Deliver(peer, peer.Outstanding[0].Piece, peer.Outstanding[0].Block, [peer]);
        _scheduler.FillRequests(peer);
        Assert.That(peer.Outstanding.Exists(r => r.Piece == blockB.Piece && r.Block == blockB.Block), Is.True, "B re-requested");

        // The peer's reject answers our cancel (it came first), not the new request.
        Assert.That(_scheduler.Reject(peer, blockB.Piece, blockB.Block * PieceDownload.BlockLength), Is.True);
        Assert.That(peer.Cancelled, Does.Not.Contain(keyB));
        Assert.That(peer.Outstanding.Exists(r => r.Piece == blockB.Piece && r.Block == blockB.Block), Is.True, "the new request stands");
        Assert.That(Deliver(peer, blockB.Piece, blockB.Block, [peer]), Is.EqualTo(BlockOutcome.Accepted));
    }

    [Test, CancelAfter(10_000)]
    public async Task A_finished_request_dropping_its_window_after_a_seek_keeps_the_seek_window_and_its_first_piece_goes_first()
    {
        var peer = await PeerAsync(1, bytesPerSecond: 2_000_000);
        _time.Advance(TimeSpan.FromSeconds(1));
        object first = new(), seek = new();
        // A player's first request: a window over pieces 0-31 fills the queue.
        for (var piece = 0; piece < 32; piece++)
            _scheduler.Picker.SetDeadline(piece, TimeSpan.FromMilliseconds(500 + 250 * piece), first);
        _scheduler.ServeDeadlines([peer], _time.GetTimestamp());
        _scheduler.FillRequests(peer);
        Assert.That(peer.Outstanding.Select(r => r.Piece), Is.All.LessThan(32));
        _time.Advance(TimeSpan.FromSeconds(1));

        // Its next request seeks to piece 28 before the first request's reader has dropped its window (they overlap).
        for (var piece = 28; piece < Pieces; piece++)
            _scheduler.Picker.SetDeadline(piece, TimeSpan.FromMilliseconds(500 + 250 * (piece - 28)), seek);
        _scheduler.ServeDeadlines([peer], _time.GetTimestamp());
        // Then the first reader goes away, and the tick rearranges the queue.
        for (var piece = 0; piece < 32; piece++)
            _scheduler.Picker.ClearDeadline(piece, first);
        _scheduler.ServeDeadlines([peer], _time.GetTimestamp());

        var head = RequestScheduler.InFlightBlocks(peer);
        var afterHead = peer.Outstanding.Skip(head).Select(r => r.Piece).ToList();
        TestContext.Out.WriteLine($"queue after the head: pieces {string.Join(",", afterHead.Distinct())}");
        Assert.That(afterHead.Take(4), Is.All.EqualTo(28), "the seek's first piece kept its deadline and goes right after the head");
        Assert.That(afterHead, Is.All.GreaterThanOrEqualTo(28), "nothing of the dropped window is asked for ahead of the seek's");
    }

    [Test, CancelAfter(10_000)]
    public async Task A_rejected_block_of_a_fully_requested_piece_is_asked_for_again_before_new_pieces_are_started()
    {
        var peer = await PeerAsync(1, bytesPerSecond: 2_000_000);
        _time.Advance(TimeSpan.FromSeconds(1));
        _scheduler.FillRequests(peer);
        var first = peer.Outstanding[1];
        var lastPiece = peer.Outstanding.Max(r => r.Piece);
        Assert.That(peer.Outstanding.Count(r => r.Piece == first.Piece), Is.EqualTo(PieceLength / PieceDownload.BlockLength), "its piece is fully requested");

        Assert.That(_scheduler.Reject(peer, first.Piece, first.Block * PieceDownload.BlockLength), Is.True);
        Assert.That(peer.Outstanding.Exists(r => r.Piece == first.Piece && r.Block == first.Block), Is.False);
        // Room for a few more requests: the rejected block comes first, then new pieces.
        for (var i = 0; i < 4; i++)
            Deliver(peer, peer.Outstanding[0].Piece, peer.Outstanding[0].Block, [peer]);
        var before = peer.Outstanding.Count;
        _scheduler.FillRequests(peer);
        var added = peer.Outstanding.Skip(before).ToList();
        Assert.That(added, Is.Not.Empty);
        Assert.That((added[0].Piece, added[0].Block), Is.EqualTo((first.Piece, first.Block)), "the rejected block is asked for again first");
        Assert.That(added.Skip(1).Select(r => r.Piece), Is.All.GreaterThanOrEqualTo(lastPiece), "then the rest of the last piece started, and new ones");
    }
}
