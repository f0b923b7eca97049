using System.Buffers.Binary;
using System.Numerics;
using Microsoft.Extensions.Logging;
using P2PShare.Engine.Picking;
using P2PShare.Protocol;

namespace P2PShare.Engine;

/// <summary>
/// File selection, sequential download and streaming deadlines: what the session downloads, in which order, and
/// when it counts as done ("all wanted pieces verified"). Every public member here is thread-safe (it takes the
/// session's lock) and may be called while the session runs, from any thread.
/// </summary>
internal sealed partial class TorrentSession
{
    // Pieces of files not skipped; all pieces until a selection is set. Guarded by _gate.
    private readonly Bitfield _wanted;
    private IReadOnlyList<FilePriority>? _filePriorities;
    private TaskCompletionSource _wantedComplete = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>The per-file priorities in force; null: every file normal.</summary>
    public IReadOnlyList<FilePriority>? FilePriorities
    {
        get { lock (_gate) return _filePriorities; }
    }

    /// <summary>
    /// Completes when every wanted piece is verified and stored. A new selection that wants more makes this a new,
    /// incomplete task: read it again after <see cref="SetFilePriorities"/>.
    /// </summary>
    public Task WantedCompleted
    {
        get { lock (_gate) return _wantedComplete.Task; }
    }

    /// <summary>
    /// Sets one priority per entry of <see cref="Metainfo.Torrent.Files"/> (padding entries are ignored): skipped
    /// files are not downloaded, higher levels first. Pieces shared by a wanted and a skipped file are downloaded
    /// whole. Takes effect at once: peers are asked for the newly wanted pieces. The storage must be told first
    /// (where bytes of skipped files go); the host's <c>SetFilePrioritiesAsync</c> does both in that order.
    /// </summary>
    public void SetFilePriorities(IReadOnlyList<FilePriority> priorities)
    {
        Picking.FilePriorities.Validate(priorities, _torrent.Files.Count);
        var levels = PiecePriorities.FromFiles(_torrent, Picking.FilePriorities.ToPieceLevels(priorities));
        lock (_gate)
        {
            _filePriorities = [.. priorities];
            _scheduler.Picker.SetPriorities(levels);
            for (var p = 0; p < _torrent.PieceCount; p++)
                _wanted[p] = levels.IsWanted(p);
            if (_scheduler.Picker.Sequential)
                _scheduler.Picker.SetSequential(true, SequentialPicker.EdgesOfFiles(_torrent, _filePriorities));
            UpdateWantedCompletion();
            foreach (var peer in _peers)
                _scheduler.FillRequests(peer);
        }
    }

    /// <summary>Sequential download: the first and last piece of each wanted file early, then pieces in order.</summary>
    public void SetSequential(bool enabled)
    {
        lock (_gate)
            _scheduler.Picker.SetSequential(enabled, SequentialPicker.EdgesOfFiles(_torrent, _filePriorities));
    }

    /// <summary>
    /// Streaming: the piece is wanted within <paramref name="within"/>; pieces with deadlines are started before
    /// any other, earliest first, and requested of the peers that unchoke us at once. A later call by the same
    /// <paramref name="owner"/> (a stream reader) replaces it; other owners' deadlines for the piece stay.
    /// </summary>
    public void SetPieceDeadline(int piece, TimeSpan within, object? owner = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(piece);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(piece, _torrent.PieceCount);
        lock (_gate)
        {
            if (_have[piece])
                return;
            _scheduler.Picker.SetDeadline(piece, within, owner);
            _scheduler.ServeDeadlines(_peers, _time.GetTimestamp());
            foreach (var peer in _peers)
                _scheduler.FillRequests(peer);
        }
    }

    /// <summary>
    /// Several deadlines at once (a reader's window after a seek): as <see cref="SetPieceDeadline"/> for each, but the
    /// peers' queues are rearranged once, not once per piece. Pieces we have are left out.
    /// </summary>
    public void SetPieceDeadlines(IReadOnlyList<(int Piece, TimeSpan Within)> deadlines, object? owner = null)
    {
        foreach (var (piece, _) in deadlines)
        {
            ArgumentOutOfRangeException.ThrowIfNegative(piece);
            ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(piece, _torrent.PieceCount);
        }
        lock (_gate)
        {
            foreach (var (piece, within) in deadlines)
                if (!_have[piece])
                    _scheduler.Picker.SetDeadline(piece, within, owner);
            _scheduler.ServeDeadlines(_peers, _time.GetTimestamp());
            foreach (var peer in _peers)
                _scheduler.FillRequests(peer);
            LogDeadlineQueues("seek");
        }
    }

    /// <summary>
    /// Where the deadline blocks sit in each peer's queue (Debug): a seek is slow exactly when they sit behind many
    /// ordinary requests, so this is what to read when one is.
    /// </summary>
    private void LogDeadlineQueues(string when)
    {
        if (!_logger.IsEnabled(LogLevel.Debug) || _scheduler.Picker.DeadlineCount == 0)
            return;
        foreach (var peer in _peers)
        {
            var first = peer.Outstanding.FindIndex(r => _scheduler.Picker.HasDeadline(r.Piece));
            _logger.LogDebug("Deadlines ({When}): {Peer} queue {Queued} blocks, first deadline block at {First}, rate {Rate:0} B/s, choking {Choking}, interested {Interested}, cancelled so far {Cancelled}, {Deadlines} pieces with deadlines",
                when, peer.Name, peer.Outstanding.Count, first, peer.DownloadRate.BytesPerSecond, peer.PeerChoking, peer.AmInterested,
                _scheduler.RequestsCancelledForDeadlines, _scheduler.Picker.DeadlineCount);
        }
    }

    /// <summary>Streaming figures: deadline blocks re-requested from a second peer because the first was late, and
    /// ordinary requests cancelled to make room for deadline blocks.</summary>
    public (long LateBlocksDuplicated, long RequestsCancelled) DeadlineCounters
    {
        get { lock (_gate) return (_scheduler.LateBlocksDuplicated, _scheduler.RequestsCancelledForDeadlines); }
    }

    /// <summary>The tick's part for streaming: late deadline blocks duplicated, room made for deadline blocks. Under the lock.</summary>
    private void ServeDeadlinesOnTick(long now)
    {
        _scheduler.ServeDeadlines(_peers, now);
        LogDeadlineQueues("tick");
    }

    /// <summary>Drops <paramref name="owner"/>'s deadline for the piece (no owner: every deadline for it).</summary>
    public void ClearPieceDeadline(int piece, object? owner = null)
    {
        lock (_gate)
            _scheduler.Picker.ClearDeadline(piece, owner);
    }

    /// <summary>Whether the piece is verified and stored (a reader may then read it).</summary>
    public bool HasPiece(int piece)
    {
        lock (_gate)
            return _have[piece];
    }

    private void OnWantedPieceVerified(int piece)
    {
        lock (_gate)
            UpdateWantedCompletion();
    }

    /// <summary>Completes or renews the wanted-completion task. Under the lock.</summary>
    private void UpdateWantedCompletion()
    {
        var missing = MissingWanted();
        if (missing == 0)
            _wantedComplete.TrySetResult();
        else if (_wantedComplete.Task.IsCompleted)
            _wantedComplete = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
    }

    private int MissingWanted() => CountMissing(_wanted, _have);

    /// <summary>
    /// Pieces set in <paramref name="wanted"/> and not in <paramref name="have"/>. Called once per verified piece, so it
    /// must not cost a pass over the bitfields when every piece is wanted (with 65,536 pieces of 16 KiB that pass made a
    /// download quadratic); a selection is counted 64 bits at a time.
    /// </summary>
    internal static int CountMissing(Bitfield wanted, Bitfield have)
    {
        if (wanted.IsComplete)
            return have.Length - have.CountSet;
        var w = wanted.Bytes;
        var h = have.Bytes;
        var missing = 0;
        var i = 0;
        for (; i + sizeof(ulong) <= w.Length; i += sizeof(ulong))
            missing += BitOperations.PopCount(BinaryPrimitives.ReadUInt64LittleEndian(w[i..]) & ~BinaryPrimitives.ReadUInt64LittleEndian(h[i..]));
        for (; i < w.Length; i++)
            missing += BitOperations.PopCount((uint)(w[i] & ~h[i] & 0xFF));
        return missing;
    }

    /// <summary>(wanted pieces, wanted pieces had, wanted bytes, wanted bytes had); -1s when every piece is wanted. Under the lock.</summary>
    private (int Pieces, int Have, long Length, long Verified) WantedCounts()
    {
        if (_wanted.IsComplete)
            return (-1, 0, -1, 0);
        int pieces = 0, have = 0;
        long length = 0, verified = 0;
        foreach (var p in _wanted.SetIndices())
        {
            var size = _torrent.PieceSize(p);
            pieces++;
            length += size;
            if (_have[p])
            {
                have++;
                verified += size;
            }
        }
        return (pieces, have, length, verified);
    }
}
