using System.Security.Cryptography;
using Microsoft.Extensions.Logging;
using P2PShare.Engine.Disk;
using P2PShare.Metainfo;
using P2PShare.Protocol;
using P2PShare.Protocol.Wire;

namespace P2PShare.Engine;

/// <summary>
/// Takes each completed piece off the receive path: hashes it, writes it to storage only if it matches,
/// then counts it and tells every peer; a piece that fails goes back to be fetched again and its senders
/// are judged. Hashing and writing run as jobs of the engine's bounded <see cref="Disk.DiskQueue"/> (a fixed number
/// of workers, a memory budget), off the torrent session's lock, which it shares.
/// </summary>
internal sealed partial class PieceVerifier
{
    private readonly object _gate;
    private readonly HashSet<int> _checking = [];
    private readonly Torrent _torrent;
    private readonly IPieceStore _store;
    private readonly Bitfield _have;
    private readonly List<PeerSession> _peers;
    private readonly RequestScheduler _scheduler;
    private readonly PeerDialer _dialer;
    private readonly BadDataJudge _judge;
    private readonly Action<Task> _track;
    private readonly CancellationToken _lifetime;
    private readonly ILogger _logger;
    private readonly DiskQueue _queue;
    private readonly TaskCompletionSource _completed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _failed = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <param name="gate">The torrent session's lock.</param>
    /// <param name="track">Keeps a verification task so the session can wait for it when it stops.</param>
    /// <param name="lifetime">Cancelled when the session stops: a write in progress is abandoned.</param>
    /// <param name="diskQueue">The engine's disk queue; null: the process-wide <see cref="DiskQueue.Shared"/>.</param>
    /// <param name="time">The clock of the small pieces' write deadline (<see cref="CombineDeadline"/>).</param>
    public PieceVerifier(object gate, Torrent torrent, IPieceStore store, Bitfield have, List<PeerSession> peers, RequestScheduler scheduler,
        PeerDialer dialer, BadDataJudge judge, Action<Task> track, CancellationToken lifetime, ILogger logger, DiskQueue? diskQueue = null,
        TimeProvider? time = null)
    {
        _queue = diskQueue ?? DiskQueue.Shared;
        _gate = gate;
        _torrent = torrent;
        _store = store;
        _have = have;
        _peers = peers;
        _scheduler = scheduler;
        _dialer = dialer;
        _judge = judge;
        _track = track;
        _lifetime = lifetime;
        _logger = logger;
        VerifiedBytes = have.SetIndices().Sum(i => (long)torrent.PieceSize(i));
        if (have.IsComplete)
            _completed.TrySetResult();
        SetUpCombining(time ?? TimeProvider.System);
    }

    /// <summary>Completes when every piece is verified and stored.</summary>
    public Task Completed => _completed.Task;

    /// <summary>Faults when storage fails (disk full, unwritable): the download cannot go on.</summary>
    public Task Failed => _failed.Task;

    /// <summary>Bytes of the pieces we have. Read under the lock.</summary>
    public long VerifiedBytes { get; private set; }

    // Verified bytes of this run by where their sender came from (index: PeerSource), under the session's lock.
    private readonly long[] _verifiedBySource = new long[Enum.GetValues<PeerSource>().Length];

    /// <summary>Verified bytes of this run per source of their senders (under the session's lock).</summary>
    public IReadOnlyDictionary<PeerSource, long> VerifiedBySource() =>
        Enum.GetValues<PeerSource>().Where(s => _verifiedBySource[(int)s] > 0).ToDictionary(s => s, s => _verifiedBySource[(int)s]);

    /// <summary>Raised (outside the lock) after a piece is verified and written.</summary>
    public event Action<int>? PieceVerified;

    /// <summary>The disk queue the pieces go through; a receive loop awaits its <see cref="DiskQueue.WaitForRoomAsync"/> before reading more.</summary>
    public DiskQueue DiskQueue => _queue;

    /// <summary>
    /// Verifies and stores a piece whose last block arrived; returns at once (it may be called under the lock). The piece
    /// waits for room in the disk queue if the queue is over budget; its buffer is released when done.
    /// </summary>
    public void Start(PieceDownload piece) => Queue(piece);

    private async ValueTask VerifyAndStoreAsync(PieceDownload piece, CancellationToken cancellationToken)
    {
        if (!TryClaim(piece, out var urgent))
            return;
        var held = false;
        try
        {
            cancellationToken.ThrowIfCancellationRequested();
            var data = piece.Buffer.AsMemory(0, piece.Size);
            var good = IsGood(piece, data.Span);
            if (good is null)
            {
                held = OnHashesUnknown(piece);
                return;
            }
            if (!good.Value)
            {
                OnHashFailed(piece, SmartBan.Collect(piece), Blocks is null ? null : BadBlockFinder.Collect(_torrent, piece));
                return;
            }
            if (_combiner is not null)
            {
                var ready = Hold(piece, urgent);
                held = true; // The combiner owns the piece now: it is stored and released once its window is written.
                foreach (var window in ready)
                    await WriteWindowAsync(window).ConfigureAwait(false);
                return;
            }
            // On the disk worker's thread when the store can (no hop per piece); else the store's asynchronous write.
            if (_store is not IDirectPieceWriter direct || !direct.TryWritePiece(piece.Index, data.Span, cancellationToken))
                await _store.WritePieceAsync(piece.Index, data, cancellationToken).ConfigureAwait(false);
            OnPieceStored(piece);
            _judge.FindCulpritsOfEarlierFailure(piece);
        }
        catch (OperationCanceledException)
        {
        }
        catch (Exception error)
        {
            // Storage failed (disk full, unwritable): the download cannot go on.
            _failed.TrySetException(error);
        }
        finally
        {
            // A piece held until its file's piece layer arrives keeps its buffer, and left the checking set when it was held.
            if (!held)
            {
                lock (_gate)
                    _checking.Remove(piece.Index);
                piece.Release();
            }
        }
    }

    /// <summary>
    /// A piece is checked and written once: a copy that arrives while another copy of it is being checked, or after it
    /// was stored (endgame: a native peer and a BitTorrent peer both fetched it), is dropped unchecked, and its
    /// whole-piece senders are told so.
    /// </summary>
    /// <param name="urgent">The piece has a deadline (a streaming read waits for it).</param>
    private bool TryClaim(PieceDownload piece, out bool urgent)
    {
        lock (_gate)
        {
            urgent = _scheduler.Picker.HasDeadline(piece.Index);
            if (!_have[piece.Index] && _checking.Add(piece.Index))
                return true;
            foreach (var source in piece.SenderOf.OfType<IPieceSender>().Distinct())
                source.OnPieceNotNeeded(piece.Index);
        }
        _logger.LogDebug("Piece {Piece}: a second copy arrived, dropped unchecked", piece.Index);
        piece.Release();
        return false;
    }

    /// <summary>
    /// SHA-1 for v1 (the hot path as it was); v2 and hybrid pieces go through <see cref="Torrent.CheckPiece"/>, and a
    /// hybrid whose two hashes disagree stops the download: the torrent itself is inconsistent.
    /// </summary>
    private bool? IsGood(PieceDownload piece, ReadOnlySpan<byte> data)
    {
        if (_torrent.V2 is null)
        {
            Span<byte> hash = stackalloc byte[20];
            SHA1.HashData(data, hash);
            return hash.SequenceEqual(_torrent.PieceHash(piece.Index));
        }
        switch (_torrent.CheckPiece(piece.Index, data))
        {
            case PieceCheckResult.Good:
                return true;
            case PieceCheckResult.Inconsistent:
                throw new MetainfoException(
                    $"torrent {_torrent.Name} is inconsistent: piece {piece.Index} matches one of its v1 (SHA-1) and v2 (merkle) hashes but not the other");
            case PieceCheckResult.HashesUnknown:
                return null;
            default:
                return false;
        }
    }

    private void OnPieceStored(PieceDownload piece)
    {
        bool complete;
        lock (_gate)
        {
            _have[piece.Index] = true;
            _scheduler.OnPieceVerified(piece.Index);
            VerifiedBytes += piece.Size;
            // Each sender is credited with the blocks it sent: peer rating counts verified data.
            for (var b = 0; b < piece.BlockCount; b++)
            {
                if (piece.SenderOf[b] is PeerSession sender)
                {
                    sender.VerifiedBytes += piece.BlockSize(b);
                    _verifiedBySource[(int)(sender.KnownAddresses.Count > 0 ? sender.KnownAddresses[0].Source : PeerSource.Incoming)] += piece.BlockSize(b);
                }
                else if (piece.SenderOf[b] is IPieceSender source)
                {
                    _verifiedBySource[(int)source.Source] += piece.BlockSize(b);
                }
            }
            // Each distinct sender once, without allocating (this runs once per piece: 65,536 times for 1 GiB of 16 KiB pieces).
            var senderOf = piece.SenderOf;
            for (var b = 0; b < senderOf.Length; b++)
            {
                if (senderOf[b] is not { } sender || SentEarlierBlock(senderOf, b))
                    continue;
                if (sender is PeerSession peerSender)
                {
                    _dialer.MarkUseful(peerSender);
                    BadDataJudge.OnPieceVerified(peerSender);
                }
                else if (sender is IPieceSender source)
                {
                    source.OnPieceVerified(piece.Index, piece.Size);
                }
            }
            foreach (var peer in _peers)
            {
                peer.Enqueue(new OutgoingMessage(MessageId.Have, piece.Index));
                if (peer.AmInterested && peer.Has[piece.Index])
                    peer.UpdateInterest(_have);
            }
            complete = _have.IsComplete;
        }
        PieceVerified?.Invoke(piece.Index);
        if (complete)
        {
            _logger.LogInformation("Download complete: all {Pieces} pieces verified", _torrent.PieceCount);
            _completed.TrySetResult();
        }
    }

    /// <summary>Whether the sender of block <paramref name="block"/> also sent an earlier block of the piece.</summary>
    private static bool SentEarlierBlock(object?[] senderOf, int block)
    {
        var sender = senderOf[block];
        for (var b = 0; b < block; b++)
            if (ReferenceEquals(senderOf[b], sender))
                return true;
        return false;
    }

    /// <summary>Exact blame of bad blocks in failed v2 pieces (BEP 52 block hashes); null: v1, or not wanted.</summary>
    public BadBlockFinder? Blocks { get; set; }

    private void OnHashFailed(PieceDownload piece, SmartBan.BlockEvidence[] evidence, SmartBan.BlockEvidence[]? leaves = null)
    {
        lock (_gate)
        {
            _scheduler.Release(piece.Index);
            // A v2 piece whose block hashes are asked for is judged by them, exactly: no sender loses trust meanwhile.
            var exact = leaves is not null && Blocks is not null && Blocks.OnPieceFailed(piece.Index, leaves);
            _judge.OnHashFailed(piece.Index, piece.SenderOf.OfType<PeerSession>().Distinct().ToList(), evidence, exact);
            foreach (var source in piece.SenderOf.OfType<IPieceSender>().Distinct())
                source.OnPieceFailed(piece.Index);
            foreach (var peer in _peers)
                _scheduler.FillRequests(peer);
        }
    }
}
