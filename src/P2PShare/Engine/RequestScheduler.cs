using P2PShare.Engine.Picking;
using P2PShare.Metainfo;
using P2PShare.Protocol;
using P2PShare.Protocol.Wire;

namespace P2PShare.Engine;

/// <summary>
/// Decides which blocks to ask each peer for: finish started pieces first, then a new piece from
/// the picker chain, and in endgame (<see cref="EndgamePicker"/>) the blocks still missing from several peers at once. Keeps each peer's
/// queue at its rate times a few seconds, so a fast and a slow peer both run full.
/// Called under the torrent session's lock.
/// </summary>
internal sealed partial class RequestScheduler
{
    private readonly Dictionary<int, PieceDownload> _active = [];
    // Active pieces that may still have a block nobody was asked for, in the order they were started (so started pieces
    // are finished oldest first): a piece is listed when it starts and again when one of its requests is dropped, and
    // leaves when a search finds it fully requested or no longer active. So finding a block to ask for does not walk
    // every active piece (with 16 KiB pieces there is one per request in flight).
    private readonly List<PieceDownload> _open = [];
    private long _started;
    private readonly Torrent _torrent;
    private readonly Bitfield _have;
    private readonly PiecePicker _picker;
    private readonly EngineOptions _options;
    private readonly TimeProvider _time;
    private readonly EndgamePicker _endgame;

    public RequestScheduler(Torrent torrent, Bitfield have, PiecePicker picker, EngineOptions options, TimeProvider time)
    {
        _torrent = torrent;
        _have = have;
        _picker = picker;
        _options = options;
        _time = time;
        _endgame = new EndgamePicker(options.EndgameDuplicates);
        // Pieces we have at the start leave the picker's ranking.
        foreach (var piece in have.SetIndices())
            picker.MarkHave(piece);
    }

    public PiecePicker Picker => _picker;

    public int ActivePieces => _active.Count;

    public bool InEndgame { get; private set; }

    /// <summary>
    /// How many requests to keep with the peer: its rate times <see cref="EngineOptions.RequestQueueSeconds"/> in blocks,
    /// within the bounds; while the peer's <see cref="RequestRamp"/> runs (a new or newly unchoking peer, whose rate
    /// estimate lags), the ramp's size is a floor.
    /// </summary>
    public int QueueTarget(PeerSession peer)
    {
        var byRate = (int)(peer.DownloadRate.BytesPerSecond * _options.RequestQueueSeconds / PieceDownload.BlockLength);
        var target = Math.Clamp(byRate, _options.MinRequestQueue, _options.MaxRequestQueue);
        var ramp = peer.RequestRamp ??= new RequestRamp(_options.MinRequestQueue, _options.MaxRequestQueue, _time);
        return ramp.Active ? Math.Max(target, ramp.Blocks) : target;
    }

    public void FillRequests(PeerSession peer) => Fill(peer, QueueTarget(peer));

    /// <summary>After a block arrives: refill only once the queue is down to three quarters, so requests go out in batches.</summary>
    public void RefillIfLow(PeerSession peer)
    {
        var target = QueueTarget(peer);
        if (peer.Outstanding.Count <= target * 3 / 4)
            Fill(peer, target);
    }

    private void Fill(PeerSession peer, int target)
    {
        if (!peer.AmInterested || _have.IsComplete)
            return;
        var has = peer.Has;
        if (peer.PeerChoking)
        {
            // Choked: only pieces the (fast) peer allows us to fetch anyway.
            if (!peer.IsFast || peer.AllowedFastFromPeer.Count == 0 || AllowedWhileChoked(peer) is not { } allowed)
                return;
            has = allowed;
        }
        while (peer.Outstanding.Count < target && TryNextBlock(peer, has, out var piece, out var block))
        {
            piece.MarkRequested(block);
            peer.Outstanding.Add(new BlockRequest(piece.Index, block, _time.GetTimestamp()));
            peer.Enqueue(new OutgoingMessage(MessageId.Request, piece.Index, block * PieceDownload.BlockLength, piece.BlockSize(block)));
        }
    }

    /// <summary>Takes a received block. Returns the piece when it is now complete (removed from the active set, ready to verify).</summary>
    public BlockOutcome AcceptBlock(PeerSession peer, in PeerMessage message, IEnumerable<PeerSession> allPeers, out PieceDownload? completed)
    {
        completed = null;
        var key = BlockRequest.Key(message.Index, message.Begin);
        var (index, begin) = (message.Index, message.Begin);
        var position = PositionOf(peer, index, begin);
        if (position >= 0)
            peer.Outstanding.RemoveAt(position);
        else if (!peer.Cancelled.Remove(key))
            return BlockOutcome.NotRequested;
        // A block we cancelled that came anyway (it was on the wire) is still taken when nobody delivered it since.
        if (!_active.TryGetValue(message.Index, out var piece) || !piece.TryAccept(message.Begin, message.Payload, peer, out var block))
            return BlockOutcome.Unwanted;
        CancelDuplicates(peer, piece, block, allPeers, heldByReceiver: position >= 0);
        if (!piece.IsComplete)
            return BlockOutcome.Accepted;
        _active.Remove(piece.Index);
        completed = piece;
        return BlockOutcome.Accepted;
    }

    /// <summary>Where the peer's queue holds the request for the block at <paramref name="begin"/>; -1 when it does not (or begin is off a block boundary).</summary>
    private static int PositionOf(PeerSession peer, int index, int begin) =>
        begin >= 0 && begin % PieceDownload.BlockLength == 0 ? peer.Outstanding.IndexOf(index, begin / PieceDownload.BlockLength) : -1;

    /// <summary>The pieces the peer has, allows while choking, and we lack; null when there are none.</summary>
    private Bitfield? AllowedWhileChoked(PeerSession peer)
    {
        Bitfield? allowed = null;
        foreach (var index in peer.AllowedFastFromPeer)
        {
            if (!peer.Has[index] || _have[index])
                continue;
            allowed ??= new Bitfield(_torrent.PieceCount);
            allowed[index] = true;
        }
        return allowed;
    }

    /// <summary>
    /// A fast peer rejected a request (BEP 6): the block goes back to the pool so another peer can take it at once.
    /// False when we never asked this peer for it (a reject answering our own cancel is fine).
    /// </summary>
    public bool Reject(PeerSession peer, int index, int begin)
    {
        // A peer answers in order: a reject for a block we cancelled and asked for again answers the cancel.
        if (peer.Cancelled.Remove(BlockRequest.Key(index, begin)))
            return true;
        var position = PositionOf(peer, index, begin);
        if (position < 0)
            return false;
        var request = peer.Outstanding[position];
        peer.Outstanding.RemoveAt(position);
        if (_active.TryGetValue(request.Piece, out var piece))
            DropRequest(piece, request.Block);
        return true;
    }

    /// <summary>
    /// BEP 6: a rejected block is free at once, so it goes straight to the other unchoking peer expected to deliver it
    /// soonest, past that peer's queue target (within the hard cap): the rejecting peer's slot is empty now, and
    /// waiting for room would cost a queue's worth of time. Returns that peer, or null when nobody can take it.
    /// </summary>
    public PeerSession? Reassign(PeerSession from, int index, int begin, IEnumerable<PeerSession> peers)
    {
        if (!_active.TryGetValue(index, out var piece))
            return null;
        var block = begin / PieceDownload.BlockLength;
        if (piece.IsReceived(block) || piece.RequestCount(block) > 0)
            return null;
        var ready = peers.Where(p => p.AmInterested && !p.PeerChoking).ToList();
        var request = new BlockRequest(index, block, _time.GetTimestamp());
        if (BestOtherPeer(ready, from, request) is not { } other)
            return null;
        piece.MarkRequested(block);
        other.Outstanding.Add(request);
        other.Enqueue(new OutgoingMessage(MessageId.Request, index, begin, piece.BlockSize(block)));
        return other;
    }

    /// <summary>The peer choked us or left: its blocks go back to the pool.</summary>
    public void DropRequests(PeerSession peer)
    {
        // After a choke the queue ramps up again from the minimum (as TCP restarts its slow start after a pause).
        peer.RequestRamp = null;
        foreach (var request in peer.Outstanding)
            if (_active.TryGetValue(request.Piece, out var piece))
                DropRequest(piece, request.Block);
        peer.Outstanding.Clear();
    }

    /// <summary>Frees requests older than the timeout so other peers can take them; true if the peer had any.</summary>
    public bool ExpireRequests(PeerSession peer, long now)
    {
        var expired = false;
        for (var i = peer.Outstanding.Count - 1; i >= 0; i--)
        {
            var request = peer.Outstanding[i];
            if (_time.GetElapsedTime(request.SentAtTicks, now) < _options.RequestTimeout)
                continue;
            if (_active.TryGetValue(request.Piece, out var piece))
            {
                DropRequest(piece, request.Block);
                peer.Cancelled.Add(BlockRequest.Key(request.Piece, request.Block * PieceDownload.BlockLength));
                peer.Enqueue(new OutgoingMessage(MessageId.Cancel, request.Piece, request.Block * PieceDownload.BlockLength, piece.BlockSize(request.Block)));
            }
            peer.Outstanding.RemoveAt(i);
            peer.RequestTimeouts++;
            peer.RequestRamp?.Stop();
            expired = true;
        }
        return expired;
    }

    /// <summary>A piece failed its hash or could not be stored: it can be picked again.</summary>
    public void Release(int pieceIndex) => _picker.SetBusy(pieceIndex, false);

    /// <summary>A piece is verified and stored (and set in the have bitfield): it is no longer busy nor ranked.</summary>
    public void OnPieceVerified(int pieceIndex)
    {
        // Another source's copy won (a native peer or web seed in endgame): the peers' copy in progress is dropped;
        // blocks still arriving for it are unwanted.
        if (_active.Remove(pieceIndex, out var superseded))
            superseded.Release();
        _picker.SetBusy(pieceIndex, false);
        _picker.MarkHave(pieceIndex);
    }

    public void ReleaseAll()
    {
        foreach (var piece in _active.Values)
            piece.Release();
        _active.Clear();
        _open.Clear();
    }

    /// <param name="has">The pieces this peer may be asked for: all it has, or (choked) its allowed-fast ones.</param>
    private bool TryNextBlock(PeerSession peer, Bitfield has, out PieceDownload piece, out int block)
    {
        if (_picker.DeadlineCount > 0 && TryDeadlineBlock(has, out piece, out block))
            return true;
        for (var i = 0; i < _open.Count; i++)
        {
            var candidate = _open[i];
            block = FirstUnrequested(candidate);
            if (block < 0 || !_active.TryGetValue(candidate.Index, out var current) || !ReferenceEquals(current, candidate))
            {
                // Fully requested (a dropped request lists it again), completed or superseded.
                candidate.Listed = false;
                _open.RemoveAt(i--);
                continue;
            }
            if (!has[candidate.Index])
                continue;
            piece = candidate;
            return true;
        }
        if (_picker.PickNew(has, _have) is { } newIndex)
        {
            piece = StartPiece(newIndex);
            block = 0;
            return true;
        }
        return TryEndgameBlock(peer, has, out piece, out block);
    }

    /// <summary>Nothing left to start: ask this peer too for blocks others are still fetching, so the end never stalls on a slow peer.</summary>
    private bool TryEndgameBlock(PeerSession peer, Bitfield has, out PieceDownload piece, out int block)
    {
        InEndgame = _active.Count > 0;
        return _endgame.TryPick(_active.Values, has, peer.Outstanding.Contains, out piece, out block);
    }

    /// <summary>A new piece enters the active set, busy for the picker, with its first block to be requested by the caller.</summary>
    private PieceDownload StartPiece(int index)
    {
        var piece = new PieceDownload(index, _torrent.PieceSize(index)) { StartOrder = ++_started };
        _active.Add(index, piece);
        _picker.SetBusy(index, true);
        InEndgame = false;
        if (piece.BlockCount > 1)
            List(piece);
        return piece;
    }

    /// <summary>A request for the block was dropped (reject, choke, timeout, cancel): the block may be asked for again.</summary>
    private void DropRequest(PieceDownload piece, int block)
    {
        piece.MarkRequestDropped(block);
        if (piece.RequestCount(block) == 0 && !piece.IsReceived(block))
            List(piece);
    }

    private void List(PieceDownload piece)
    {
        if (piece.Listed)
            return;
        piece.Listed = true;
        // New pieces go at the end; a piece listed again goes back to its place by start order.
        var at = _open.Count;
        while (at > 0 && _open[at - 1].StartOrder > piece.StartOrder)
            at--;
        _open.Insert(at, piece);
    }

    private static int FirstUnrequested(PieceDownload piece)
    {
        for (var b = 0; b < piece.BlockCount; b++)
            if (!piece.IsReceived(b) && piece.RequestCount(b) == 0)
                return b;
        return -1;
    }

    /// <param name="heldByReceiver">The receiver's own request counts among the block's requests (false: it came after a cancel).</param>
    private static void CancelDuplicates(PeerSession receiver, PieceDownload piece, int block, IEnumerable<PeerSession> allPeers, bool heldByReceiver = true)
    {
        if (piece.RequestCount(block) <= (heldByReceiver ? 1 : 0))
            return;
        foreach (var other in allPeers)
        {
            if (ReferenceEquals(other, receiver))
                continue;
            var position = other.Outstanding.IndexOf(piece.Index, block);
            if (position < 0)
                continue;
            other.Outstanding.RemoveAt(position);
            var begin = block * PieceDownload.BlockLength;
            other.Cancelled.Add(BlockRequest.Key(piece.Index, begin));
            other.Enqueue(new OutgoingMessage(MessageId.Cancel, piece.Index, begin, piece.BlockSize(block)));
        }
    }
}
