using Microsoft.Extensions.Logging;
using P2PShare.Metainfo;
using P2PShare.Networking;
using P2PShare.Networking.Native;
using P2PShare.Protocol;
using P2PShare.Protocol.Native;

namespace P2PShare.Engine.Native;

/// <summary>
/// A single-file torrent's peers of the native JSON protocol (docs/hybrid-node.md), beside its BitTorrent peers and
/// web seeds and under the same rules. Serving: a native piece is offered once every torrent piece under it is
/// verified, and read from the torrent's storage, paying the torrent's upload limit. Fetching: like a web seed, each
/// peer asks the torrent's picker for whole torrent pieces among those its native pieces cover (its pieces count in
/// the picker's availability, so rarest-first sees both kinds of peer), requests the native pieces under each, and
/// hands the filled piece to the torrent's verifier; a peer whose piece fails the hash is banned. Shares the torrent
/// session's lock. Fetch code is in NativeTorrentPeers.Fetching.cs.
/// </summary>
internal sealed partial class NativeTorrentPeers
{
    private readonly object _gate;
    private readonly Torrent _torrent;
    private readonly IPieceStore _store;
    private readonly Bitfield _have;
    private readonly List<PeerSession> _btPeers;
    private readonly RequestScheduler _scheduler;
    private readonly PieceVerifier _verifier;
    private readonly TokenBucket _uploadLimit;
    private readonly TokenBucket _downloadLimit;
    private readonly RateEstimator _downloadRate;
    private readonly RateEstimator _uploadRate;
    private readonly NativeTorrentOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly CancellationToken _lifetime;
    private readonly Action<Task> _track;
    private readonly List<NativeTorrentPeer> _peers = [];
    private readonly HashSet<string> _banned = new(StringComparer.Ordinal);
    private Task<NativeFileSummary>? _summary;
    private readonly SharedResources? _shared;

    public NativeTorrentPeers(object gate, Torrent torrent, IPieceStore store, Bitfield have, List<PeerSession> btPeers, RequestScheduler scheduler,
        PieceVerifier verifier, TokenBucket uploadLimit, TokenBucket downloadLimit, RateEstimator uploadRate, RateEstimator downloadRate,
        NativeTorrentOptions options, TimeProvider time, ILogger logger, Action<Task> track, CancellationToken lifetime, SharedResources? shared = null)
    {
        _shared = shared;
        _gate = gate;
        _torrent = torrent;
        _store = store;
        _have = have;
        _btPeers = btPeers;
        _scheduler = scheduler;
        _verifier = verifier;
        _uploadLimit = uploadLimit;
        _downloadLimit = downloadLimit;
        _uploadRate = uploadRate;
        _downloadRate = downloadRate;
        _options = options;
        _time = time;
        _logger = logger;
        _track = track;
        _lifetime = lifetime;
        StandardPieceSize = NativeFileDescriptor.PieceSizeFor(Math.Max(1, torrent.TotalLength));
        verifier.PieceVerified += OnPieceVerified;
        if (have.IsComplete)
            StartSummary();
    }

    /// <summary>Native piece size we offer: 64 KiB, or the file size when smaller (as the original does).</summary>
    public int StandardPieceSize { get; }

    /// <summary>Only one file's bytes can be offered: the native protocol shares a single file.</summary>
    public static bool CanServe(Torrent torrent) => !torrent.IsMultiFile && torrent.TotalLength > 0;

    /// <summary>Native peers connected now. Read under the lock.</summary>
    public int Count => _peers.Count;

    /// <summary>Ids of the native peers banned for bad data. Read under the lock.</summary>
    public IReadOnlyCollection<string> BannedIds => [.. _banned.Where(k => k.StartsWith("id:", StringComparison.Ordinal)).Select(k => k[3..])];

    /// <summary>The whole-file SHA-1 once known (the torrent complete and hashed once), else null.</summary>
    public NativeFileSummary? Summary => _summary is { IsCompletedSuccessfully: true } done ? done.Result : null;

    /// <summary>See <see cref="INativePeerSink.NativeMatch"/>.</summary>
    public int Match(NativeHandshake theirs)
    {
        if (theirs.FileSize is { } size && size != _torrent.TotalLength)
            return 0;
        if (theirs.FileHash is { } hash && Summary is { } summary)
            return string.Equals(hash, summary.FileHash, StringComparison.OrdinalIgnoreCase) ? 2 : 0;
        return 1;
    }

    /// <summary>The native piece size used with a peer: the one it announced with the file, else ours.</summary>
    public int PieceSizeFor(NativeHandshake? theirs) =>
        theirs?.FileSize is not null && theirs.PieceSize > 0 && theirs.PieceSize <= NativeCodecLimits.Default.MaxPieceSize
        && NativeFileDescriptor.IsAcceptable(_torrent.TotalLength, theirs.PieceSize, NativeCodecLimits.Default, out _)
            ? theirs.PieceSize : StandardPieceSize;

    /// <summary>Our handshake to a newcomer; when the torrent is complete it waits (briefly) for the whole-file SHA-1.</summary>
    public async ValueTask<NativeHandshake> HandshakeForAsync(NativeHandshake? theirs, string nodeId, int port, CancellationToken cancellationToken)
    {
        NativeFileSummary? summary = null;
        Task<NativeFileSummary>? pending;
        lock (_gate)
            pending = _summary;
        if (pending is not null)
        {
            try
            {
                summary = await pending.WaitAsync(_options.SummaryWait, _time, cancellationToken).ConfigureAwait(false);
            }
            catch (TimeoutException)
            {
                // Still hashing a big file: this peer gets no hash now (an original leecher then waits for another seeder).
            }
        }
        var pieceSize = PieceSizeFor(theirs);
        var offerHashes = summary is not null && summary.PieceSize == pieceSize && summary.PieceHashes.Count <= _options.MaxPieceHashes;
        return new NativeHandshake(nodeId, _torrent.Name, _torrent.TotalLength, summary?.FileHash, pieceSize, port)
        {
            PieceHashes = offerHashes ? summary!.PieceHashes : null,
            Extensions = 1,
        };
    }

    /// <summary>
    /// Takes an established connection: refused when banned, at the limit, or the set is stopping. Returns the peer's run
    /// (ends when it leaves), or null when refused.
    /// </summary>
    public Task? Attach(NativeConnection connection)
    {
        var theirs = connection.RemoteHandshake;
        NativeTorrentPeer? peer = null;
        string? refusal = null;
        lock (_gate)
        {
            if (_lifetime.IsCancellationRequested)
                refusal = "stopping";
            else if (IsBannedLocked(connection))
                refusal = "banned for bad data";
            else if (_peers.Count >= _options.MaxPeers)
                refusal = $"{_options.MaxPeers} native peers already";
            else if (_peers.Any(p => p.Id == theirs.Id))
                refusal = "already connected";
            else if (theirs.FileHash is { } hash && Summary is { } summary && !string.Equals(hash, summary.FileHash, StringComparison.OrdinalIgnoreCase))
                refusal = "another file";
            else
            {
                var map = new NativePieceMap(_torrent.TotalLength, _torrent.PieceLength, PieceSizeFor(theirs));
                peer = new NativeTorrentPeer(connection, map, _time, _lifetime);
                _peers.Add(peer);
                _scheduler.Picker.AddPeer(peer.Has);
                connection.PieceSource = new Upload(this, peer);
                var ours = OurNativePiecesLocked(peer).ToList();
                foreach (var index in ours)
                    peer.SentHave[index] = true;
                if (ours.Count > 0)
                    connection.Send(new NativeBitfield(ours));
                // The protocol's peer exchange: after the bitfield, as the side that accepted.
                if (!connection.Dialled)
                    NativePeerExchange.Introduce(connection, _peers.Select(p => p.Connection), NativeCodecLimits.Default.MaxPeersPerMessage);
            }
        }
        if (peer is null)
        {
            _logger.LogDebug("Refused native peer {Id} at {Remote}: {Reason}", theirs.Id, connection.RemoteEndPoint, refusal);
            _ = connection.DisposeAsync().AsTask();
            return null;
        }
        _logger.LogInformation("Native peer {Id} at {Remote} joined (pieces of {PieceSize} bytes)", theirs.Id, connection.RemoteEndPoint, peer.Map.NativePieceSize);
        var run = RunPeerAsync(peer);
        _track(run);
        return run;
    }

    /// <summary>The native peers as rows of the peer list. Call under the lock.</summary>
    public IEnumerable<PeerInfo> Infos() => _peers.Select(p => new PeerInfo(
        p.Name, "native", p.DownloadRate.BytesPerSecond, 0, p.NativeHas.Length == 0 ? 0 : (double)p.NativeHas.CountSet / p.NativeHas.Length,
        "N", p.InFlight, p.HashFailures, 0, "tcp", Fast: false, Source: PeerSource.Native));

    private async Task RunPeerAsync(NativeTorrentPeer peer)
    {
        var token = peer.Stop.Token;
        var loops = Enumerable.Range(0, Math.Max(1, _options.PiecesInFlight)).Select(_ => FetchLoopAsync(peer, token)).ToList();
        string reason = "closed by peer";
        try
        {
            await peer.Connection.RunAsync(message => HandleAsync(peer, message), token).ConfigureAwait(false);
        }
        catch (Exception error)
        {
            reason = error is OperationCanceledException ? "stopped" : error.Message;
        }
        await peer.Stop.CancelAsync().ConfigureAwait(false);
        await Task.WhenAll(loops).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        lock (_gate)
        {
            _peers.Remove(peer);
            _scheduler.Picker.RemovePeer(peer.Has);
            peer.FailAll();
        }
        await peer.Connection.DisposeAsync().ConfigureAwait(false);
        peer.Stop.Dispose();
        _logger.LogDebug("Native peer {Peer} left: {Reason}", peer.Name, reason);
    }

    private async ValueTask HandleAsync(NativeTorrentPeer peer, NativeMessage message)
    {
        switch (message)
        {
            case NativeBitfield bitfield:
                lock (_gate)
                    foreach (var index in bitfield.Pieces)
                        MarkHasLocked(peer, index);
                break;
            case NativeHave have:
                lock (_gate)
                    MarkHasLocked(peer, have.Index);
                break;
            case NativeRequest request:
                OnRequest(peer, request.Index);
                break;
            case NativeCancel cancel:
                peer.Connection.CancelUpload(cancel.Index);
                break;
            case NativeDontHave dontHave:
                lock (_gate)
                {
                    if (dontHave.Index >= 0 && dontHave.Index < peer.NativeHas.Length)
                        peer.NativeHas[dontHave.Index] = false;
                    FailRequestLocked(peer, dontHave.Index);
                }
                break;
            case NativePeers exchanged:
                OnPeersExchanged(exchanged);
                break;
            case NativePiece piece:
                using (piece)
                    await OnPieceAsync(peer, piece).ConfigureAwait(false);
                break;
        }
    }

    /// <summary>It has native piece <paramref name="index"/>: the torrent pieces now wholly covered count in availability.</summary>
    private void MarkHasLocked(NativeTorrentPeer peer, int index)
    {
        if (index < 0 || index >= peer.NativeHas.Length || peer.NativeHas[index])
            return;
        peer.NativeHas[index] = true;
        var (first, last) = peer.Map.TorrentRange(index);
        for (var piece = first; piece <= last; piece++)
        {
            if (peer.Has[piece])
                continue;
            var (from, to) = peer.Map.NativeRange(piece);
            var all = true;
            for (var n = from; n <= to && all; n++)
                all = peer.NativeHas[n];
            if (all)
            {
                peer.Has[piece] = true;
                _scheduler.Picker.PeerHas(piece);
            }
        }
    }

    private void OnRequest(NativeTorrentPeer peer, int index)
    {
        bool have;
        lock (_gate)
            have = HaveNativeLocked(peer.Map, index);
        if (!have)
        {
            // The original stays silent; a peer that understands it gets an answer and can move on at once.
            if (peer.UnderstandsExtensions)
                peer.Connection.Send(new NativeDontHave(index));
            return;
        }
        if (!peer.Connection.TrySendPiece(index, _options.MaxQueuedUploads))
            _logger.LogDebug("Native peer {Peer}: request for piece {Index} dropped, {Max} uploads queued", peer.Name, index, _options.MaxQueuedUploads);
    }

    private bool HaveNativeLocked(NativePieceMap map, int index)
    {
        if (index < 0 || index >= map.NativeCount)
            return false;
        var (first, last) = map.TorrentRange(index);
        for (var piece = first; piece <= last; piece++)
            if (!_have[piece])
                return false;
        return true;
    }

    private IEnumerable<int> OurNativePiecesLocked(NativeTorrentPeer peer)
    {
        for (var n = 0; n < peer.Map.NativeCount; n++)
            if (HaveNativeLocked(peer.Map, n))
                yield return n;
    }

    /// <summary>A torrent piece was verified: native peers hear of each native piece it completed.</summary>
    private void OnPieceVerified(int piece)
    {
        bool complete;
        lock (_gate)
        {
            WithdrawCopiesLocked(piece);
            foreach (var peer in _peers)
            {
                var (first, last) = peer.Map.NativeRange(piece);
                for (var n = first; n <= last; n++)
                {
                    if (peer.SentHave[n] || !HaveNativeLocked(peer.Map, n))
                        continue;
                    peer.SentHave[n] = true;
                    if (!peer.NativeHas[n])
                        peer.Connection.Send(new NativeHave(n));
                }
            }
            complete = _have.IsComplete;
        }
        if (complete)
            StartSummary();
    }

    private void StartSummary()
    {
        lock (_gate)
        {
            if (_summary is not null)
                return;
            _summary = Task.Run(() => NativeFileSummary.ComputeAsync(_torrent, _store, StandardPieceSize, _lifetime), _lifetime);
        }
        _track(LogSummaryAsync(_summary));
    }

    private async Task LogSummaryAsync(Task<NativeFileSummary> summary)
    {
        try
        {
            var done = await summary.ConfigureAwait(false);
            _logger.LogInformation("Native peers are offered the file with SHA-1 {Hash} ({Pieces} pieces of {Size} bytes)", done.FileHash, done.PieceHashes.Count, done.PieceSize);
        }
        catch (Exception error) when (error is not OperationCanceledException)
        {
            _logger.LogWarning("Could not hash the file for native peers: {Error}", error.Message);
        }
        catch (OperationCanceledException)
        {
        }
    }

    private bool IsBannedLocked(NativeConnection connection) =>
        _banned.Contains("id:" + connection.RemoteHandshake.Id) || _banned.Contains("at:" + ListenAddress(connection));

    private static string ListenAddress(NativeConnection connection) =>
        $"{(connection.RemoteEndPoint.Address.IsIPv4MappedToIPv6 ? connection.RemoteEndPoint.Address.MapToIPv4() : connection.RemoteEndPoint.Address)}:{connection.RemoteHandshake.Port}";

    /// <summary>Bans a peer that sent data failing the torrent's hash: its id and listening address are refused from now on.</summary>
    private void BanLocked(NativeTorrentPeer peer, int piece)
    {
        if (_banned.Count < _options.MaxBans)
        {
            _banned.Add("id:" + peer.Id);
            _banned.Add("at:" + ListenAddress(peer.Connection));
        }
        _logger.LogWarning("Native peer {Peer} banned: piece {Piece} from it failed its hash check", peer.Name, piece);
        peer.Stop.Cancel();
    }

    /// <summary>Reads a native piece for an upload from the torrent's storage, paying the upload limit.</summary>
    private sealed class Upload(NativeTorrentPeers owner, NativeTorrentPeer peer) : INativePieceSource
    {
        public int PieceLength(int index)
        {
            lock (owner._gate)
                return owner.HaveNativeLocked(peer.Map, index) ? peer.Map.NativeLength(index) : -1;
        }

        public async ValueTask<int> ReadPieceAsync(int index, Memory<byte> destination, CancellationToken cancellationToken)
        {
            var map = peer.Map;
            var length = map.NativeLength(index);
            await owner._uploadLimit.ConsumeAsync(length, cancellationToken).ConfigureAwait(false);
            var (first, last) = map.TorrentRange(index);
            for (var piece = first; piece <= last; piece++)
            {
                var (inNative, inTorrent, bytes) = map.Overlap(index, piece);
                await owner._store.ReadAsync(piece, inTorrent, destination.Slice(inNative, bytes), cancellationToken).ConfigureAwait(false);
            }
            owner._uploadRate.Add(length);
            return length;
        }
    }
}
