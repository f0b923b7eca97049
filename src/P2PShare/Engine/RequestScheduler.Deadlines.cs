using P2PShare.Protocol;
using P2PShare.Protocol.Wire;

namespace P2PShare.Engine;

/// <summary>
/// Time-critical pieces (streaming deadlines). Their blocks are requested before any other, including blocks of
/// ordinary pieces already started, and <see cref="ServeDeadlines"/> keeps them moving:
/// <list type="bullet">
/// <item>the fastest peers (shortest expected wait for a new request: queued bytes over measured rate) are served first;</item>
/// <item>a peer that has unrequested deadline blocks to fetch but a queue too full for them (a new request would wait
/// more than half the earliest one's time left) has its requests for pieces without a deadline cancelled (BT
/// <c>cancel</c>), except the few at the head that are likely on the wire already, so the deadline blocks are not served
/// behind a queue's worth of data (peers serve requests in order). This is what makes a seek fast;</item>
/// <item>a deadline block outstanding longer than its peer's rate explains is late: it is requested from a second peer
/// (the one expected to deliver soonest), and whichever copy arrives first cancels the other.</item>
/// </list>
/// A cancelled block that still arrives (the peer had sent it already) is taken when nobody delivered it since.
/// </summary>
internal sealed partial class RequestScheduler
{
    /// <summary>Requests at the head of a peer's queue that are never cancelled to make room: likely already being sent.</summary>
    internal const int MinInFlightBlocks = 2;

    /// <summary>Seconds of a peer's rate counted as on the wire already (not worth cancelling).</summary>
    internal const double InFlightSeconds = 0.1;

    /// <summary>A deadline block is late when outstanding longer than this many times what the peer's rate explains…</summary>
    internal const double LateFactor = 2.0;

    /// <summary>…plus this slack (round trip, rate noise).</summary>
    internal static readonly TimeSpan LateSlack = TimeSpan.FromMilliseconds(500);

    /// <summary>A peer's queue counts as full for a deadline when a new request would wait longer than this share of its time left.</summary>
    internal const double QueueShareOfDeadline = 0.5;

    /// <summary>Rate assumed for a peer that has sent nothing recently (bytes/s), so its expected times stay finite.</summary>
    internal const double MinAssumedRate = 16 * 1024;

    /// <summary>Deadline blocks re-requested from a second peer because the first was late (for the status and tests).</summary>
    public long LateBlocksDuplicated { get; private set; }

    /// <summary>Ordinary requests cancelled to make room for deadline blocks.</summary>
    public long RequestsCancelledForDeadlines { get; private set; }

    /// <summary>
    /// Serves time-critical pieces: fastest peers first, room made in full queues, late blocks duplicated. Call after
    /// deadlines change (a seek) and periodically (the session's tick). Under the session's lock.
    /// </summary>
    public void ServeDeadlines(IReadOnlyList<PeerSession> peers, long now)
    {
        if (_picker.DeadlineCount == 0 || _have.IsComplete)
            return;
        var ready = new List<PeerSession>(peers.Count);
        foreach (var peer in peers)
            if (peer.AmInterested && !peer.PeerChoking)
                ready.Add(peer);
        if (ready.Count == 0)
            return;
        ready.Sort((a, b) => ExpectedWait(a).CompareTo(ExpectedWait(b)));
        foreach (var peer in ready)
        {
            if (EarliestUnrequestedDeadline(peer.Has) is not { } timeLeft)
                continue;
            // Full: the deadline blocks would wait behind ordinary requests for more than half their time left.
            if (ExpectedWait(peer) > timeLeft * QueueShareOfDeadline)
                CancelOrdinaryRequests(peer);
            Fill(peer, QueueTarget(peer));
        }
        DuplicateLateBlocks(ready, now);
    }

    /// <summary>How long a request sent to this peer now would wait: its queued bytes over its rate.</summary>
    internal static TimeSpan ExpectedWait(PeerSession peer) =>
        TimeSpan.FromSeconds((peer.Outstanding.Count + 1) * (double)PieceDownload.BlockLength / AssumedRate(peer));

    private static double AssumedRate(PeerSession peer) => Math.Max(peer.DownloadRate.BytesPerSecond, MinAssumedRate);

    /// <summary>Requests at the head of the peer's queue treated as being sent already.</summary>
    internal static int InFlightBlocks(PeerSession peer) =>
        Math.Max(MinInFlightBlocks, (int)(AssumedRate(peer) * InFlightSeconds / PieceDownload.BlockLength));

    /// <summary>Time left until the earliest-due deadline piece the peer has with a block nobody was asked for; null when none.</summary>
    private TimeSpan? EarliestUnrequestedDeadline(Bitfield has)
    {
        TimeSpan? earliest = null;
        foreach (var piece in _active.Values)
            if (has[piece.Index] && _picker.TimeLeft(piece.Index) is { } left && FirstUnrequested(piece) >= 0 && (earliest is null || left < earliest))
                earliest = left;
        // A deadline piece not started yet (PickDeadline skips pieces we have or that are being fetched).
        if (_picker.PickDeadline(has, _have) is { } index && _picker.TimeLeft(index) is { } due && (earliest is null || due < earliest))
            earliest = due;
        return earliest;
    }

    /// <summary>Cancels the peer's requests for pieces without a deadline, except the ones at the head (likely on the wire).</summary>
    private void CancelOrdinaryRequests(PeerSession peer)
    {
        var keep = InFlightBlocks(peer);
        for (var i = peer.Outstanding.Count - 1; i >= keep; i--)
        {
            if (_picker.HasDeadline(peer.Outstanding[i].Piece))
                continue;
            CancelRequest(peer, i);
            RequestsCancelledForDeadlines++;
        }
    }

    /// <summary>Sends a cancel for the request at <paramref name="position"/> in the peer's queue; its block goes back to the pool.</summary>
    private void CancelRequest(PeerSession peer, int position)
    {
        var request = peer.Outstanding[position];
        peer.Outstanding.RemoveAt(position);
        var begin = request.Block * PieceDownload.BlockLength;
        var length = _active.TryGetValue(request.Piece, out var piece) ? piece.BlockSize(request.Block) : _torrent.PieceSize(request.Piece) - begin;
        if (piece is not null)
            DropRequest(piece, request.Block);
        peer.Cancelled.Add(BlockRequest.Key(request.Piece, begin));
        peer.Enqueue(new OutgoingMessage(MessageId.Cancel, request.Piece, begin, Math.Min(length, PieceDownload.BlockLength)));
    }

    /// <summary>Deadline blocks outstanding longer than their peer's rate explains go to a second peer as well.</summary>
    private void DuplicateLateBlocks(List<PeerSession> ready, long now)
    {
        if (ready.Count < 2)
            return;
        foreach (var peer in ready)
        {
            var rate = AssumedRate(peer);
            // Snapshot: requesting from another peer never changes this peer's queue.
            for (var i = 0; i < peer.Outstanding.Count; i++)
            {
                var request = peer.Outstanding[i];
                if (!_picker.HasDeadline(request.Piece) || !_active.TryGetValue(request.Piece, out var piece)
                    || piece.IsReceived(request.Block) || piece.RequestCount(request.Block) > 1)
                    continue;
                var explained = TimeSpan.FromSeconds((i + 1) * (double)PieceDownload.BlockLength / rate);
                if (_time.GetElapsedTime(request.SentAtTicks, now) <= explained * LateFactor + LateSlack)
                    continue;
                if (BestOtherPeer(ready, peer, request) is not { } other)
                    continue;
                piece.MarkRequested(request.Block);
                other.Outstanding.Add(new BlockRequest(request.Piece, request.Block, now));
                other.Enqueue(new OutgoingMessage(MessageId.Request, request.Piece, request.Block * PieceDownload.BlockLength, piece.BlockSize(request.Block)));
                LateBlocksDuplicated++;
            }
        }
    }

    /// <summary>The peer other than <paramref name="slow"/> expected to deliver the block soonest, with room in its queue.</summary>
    private PeerSession? BestOtherPeer(List<PeerSession> ready, PeerSession slow, BlockRequest request)
    {
        PeerSession? best = null;
        var bestWait = TimeSpan.MaxValue;
        foreach (var other in ready)
        {
            if (ReferenceEquals(other, slow) || !other.Has[request.Piece] || other.Outstanding.Count >= _options.MaxRequestQueue
                || other.Outstanding.Contains(request.Piece, request.Block))
                continue;
            var wait = ExpectedWait(other);
            if (wait < bestWait)
            {
                best = other;
                bestWait = wait;
            }
        }
        return best;
    }

    /// <summary>A block of a started deadline piece, or the first block of a new one (earliest due first).</summary>
    private bool TryDeadlineBlock(Bitfield has, out PieceDownload piece, out int block)
    {
        PieceDownload? best = null;
        block = -1;
        foreach (var candidate in _active.Values)
        {
            if (!has[candidate.Index] || !_picker.HasDeadline(candidate.Index) || (best is not null && best.Index < candidate.Index))
                continue;
            var free = FirstUnrequested(candidate);
            if (free < 0)
                continue;
            best = candidate;
            block = free;
        }
        if (best is not null)
        {
            piece = best;
            return true;
        }
        if (_picker.PickDeadline(has, _have) is { } index)
        {
            piece = StartPiece(index);
            block = 0;
            return true;
        }
        piece = null!;
        return false;
    }
}
