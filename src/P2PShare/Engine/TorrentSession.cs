using System.Net;
using Microsoft.Extensions.Logging;
using P2PShare.Metainfo;
using P2PShare.Networking;
using P2PShare.Networking.Peers;
using P2PShare.Protocol;
using P2PShare.Protocol.Wire;

namespace P2PShare.Engine;

/// <summary>
/// One torrent's swarm. Coordinates the parts: the dialer finds peers, each peer's receive loop feeds the
/// message handler, the scheduler hands out requests, the verifier checks and stores pieces, and a
/// one-second tick expires requests, rechokes and dials more. Swarm state is guarded by one lock, shared
/// by all the parts; per-peer receive and send loops and piece verification run concurrently around it.
/// </summary>
public sealed class TorrentSession : IAsyncDisposable
{
    private readonly Torrent _torrent;
    private readonly EngineOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly object _gate = new();
    private readonly Bitfield _have;
    private readonly RequestScheduler _scheduler;
    private readonly Choker _choker;
    private readonly PeerBans _bans;
    private readonly BlockReadCache _readCache;
    private readonly List<PeerSession> _peers = [];
    private readonly PeerDialer _dialer;
    private readonly PieceVerifier _verifier;
    private readonly PeerMessageHandler _messages;
    private readonly PeerExchange _pex;
    private readonly RateEstimator _downloadRate;
    private readonly RateEstimator _uploadRate;
    private readonly TokenBucket? _uploadLimit;
    private readonly TokenBucket? _downloadLimit;
    private readonly CancellationTokenSource _lifetime = new();
    private readonly List<Task> _background = [];
    private int _disposed;
    private long _lastRechokeTicks;

    public TorrentSession(Torrent torrent, IPieceStore store, Bitfield have, PeerId ourId, EngineOptions options, TimeProvider time, Random random, ILogger logger)
    {
        _torrent = torrent;
        _options = options;
        _time = time;
        _logger = logger;
        _have = have;
        OurHandshake = new Handshake(ExtensionSupport.Reserved, torrent.InfoHash, ourId);
        _scheduler = new RequestScheduler(torrent, have, new PiecePicker(torrent.PieceCount, random), options, time);
        _choker = new Choker(options.UploadSlots, time, random);
        _bans = new PeerBans(time, options.BanDuration);
        _downloadRate = new RateEstimator(time);
        _uploadRate = new RateEstimator(time);
        _readCache = new BlockReadCache(store, torrent.PieceSize, options.ReadCacheBytes);
        _uploadLimit = options.MaxUploadRate is { } up ? new TokenBucket(up, time) : null;
        _downloadLimit = options.MaxDownloadRate is { } down ? new TokenBucket(down, time) : null;
        // Redial jitter draws from the shared generator, not the injected one, so the picker's and choker's sequences stay as they were.
        _dialer = new PeerDialer(_gate, OurHandshake, options, _bans, time, Random.Shared, logger, Track, StartPeer);
        var judge = new BadDataJudge(_gate, _peers, _bans, _dialer, logger);
        _verifier = new PieceVerifier(_gate, torrent, store, have, _peers, _scheduler, _dialer, judge, Track, _lifetime.Token, logger);
        _pex = new PeerExchange(torrent, _peers, _dialer, time, logger);
        _messages = new PeerMessageHandler(_gate, torrent, have, _peers, _scheduler, _verifier, _downloadRate, new MetadataServer(torrent), _pex, options, time);
    }

    public Handshake OurHandshake { get; }

    public Torrent Torrent => _torrent;

    /// <summary>Completes when every piece is verified and stored.</summary>
    public Task Completed => _verifier.Completed;

    /// <summary>Raised (outside the lock) after a piece is verified and written.</summary>
    public event Action<int>? PieceVerified
    {
        add => _verifier.PieceVerified += value;
        remove => _verifier.PieceVerified -= value;
    }

    /// <summary>Pieces we have; a copy, safe to keep.</summary>
    public Bitfield HaveSnapshot()
    {
        lock (_gate)
            return _have.Clone();
    }

    public TorrentProgress Progress()
    {
        lock (_gate)
        {
            return new TorrentProgress(
                _torrent.PieceCount, _have.CountSet, _torrent.TotalLength, _verifier.VerifiedBytes,
                _downloadRate.Total, _uploadRate.Total, _downloadRate.BytesPerSecond, _uploadRate.BytesPerSecond,
                _peers.Count, _peers.Count(p => p.Has.IsComplete), _scheduler.InEndgame);
        }
    }

    public IReadOnlyList<PeerInfo> PeerList()
    {
        lock (_gate)
        {
            return _peers.Select(p => new PeerInfo(
                p.Name, p.Connection.Remote.PeerId.ClientName, p.DownloadRate.BytesPerSecond, p.UploadRate.BytesPerSecond,
                p.Has.Length == 0 ? 0 : (double)p.Has.CountSet / p.Has.Length, Flags(p), p.Outstanding.Count, p.HashFailures,
                PeerRating.Score(p.Record(_time)))).ToList();
        }
    }

    /// <summary>Addresses of peers that sent us verified data: saved so a restart reconnects at once.</summary>
    public IReadOnlyList<IPEndPoint> UsefulPeers()
    {
        lock (_gate)
            return _dialer.UsefulPeers();
    }

    public void AddPeers(IEnumerable<IPEndPoint> endPoints)
    {
        lock (_gate)
            _dialer.Add(endPoints);
    }

    /// <summary>Runs the session until cancelled; throws if storage fails (the download cannot go on).</summary>
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _lifetime.Token);
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(1), _time);
        var failed = _verifier.Failed;
        try
        {
            while (true)
            {
                var tick = timer.WaitForNextTickAsync(linked.Token).AsTask();
                await Task.WhenAny(tick, failed).ConfigureAwait(false);
                if (failed.IsCompleted)
                    await failed.ConfigureAwait(false);
                if (!await tick.ConfigureAwait(false))
                    return;
                Tick(linked.Token);
            }
        }
        catch (OperationCanceledException) when (linked.IsCancellationRequested)
        {
        }
    }

    /// <summary>Takes over an incoming connection whose handshake named this torrent.</summary>
    public void Attach(PeerConnection connection)
    {
        bool banned;
        lock (_gate)
            banned = _bans.IsBanned(connection.RemoteEndPoint, connection.Remote.PeerId);
        if (banned)
        {
            _ = connection.DisposeAsync();
            return;
        }
        StartPeer(connection, known: null);
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
            return;
        await _lifetime.CancelAsync().ConfigureAwait(false);
        List<PeerSession> peers;
        lock (_gate)
            peers = [.. _peers];
        foreach (var peer in peers)
            await peer.Lifetime.CancelAsync().ConfigureAwait(false);
        Task[] background;
        lock (_gate)
            background = [.. _background];
        await Task.WhenAll(background).WaitAsync(TimeSpan.FromSeconds(10)).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        lock (_gate)
            _scheduler.ReleaseAll();
        _readCache.Clear();
        _lifetime.Dispose();
    }

    private void Tick(CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            var now = _time.GetTimestamp();
            foreach (var peer in _peers)
            {
                if (_scheduler.ExpireRequests(peer, now))
                    peer.IsSnubbed = true;
                if (!peer.PeerChoking && peer.AmInterested && _time.GetElapsedTime(peer.LastReceivedDataAt, now) > _options.SnubTimeout)
                    peer.IsSnubbed = true;
                _scheduler.FillRequests(peer);
            }
            if (_time.GetElapsedTime(_lastRechokeTicks, now) >= Choker.RechokeInterval)
            {
                _lastRechokeTicks = now;
                Rechoke();
                MakeRoomForNewPeers();
            }
            _pex.Tick(now);
            _dialer.DialMore(_peers.Count, now, cancellationToken);
        }
    }

    private void Rechoke()
    {
        var seeding = _have.IsComplete;
        var now = _time.GetTimestamp();
        var candidates = _peers.Select((p, i) => new ChokeCandidate(
            i, p.PeerInterested, seeding ? p.UploadRate.BytesPerSecond : p.DownloadRate.BytesPerSecond,
            _time.GetElapsedTime(p.ConnectedAt, now) < TimeSpan.FromSeconds(60), p.IsSnubbed)).ToList();
        var unchoke = _choker.Decide(candidates);
        for (var i = 0; i < _peers.Count; i++)
            _peers[i].SetChoking(!unchoke.Contains(i));
    }

    /// <summary>At the peer limit with untried addresses waiting, the worst-rated peer gives up its place.</summary>
    private void MakeRoomForNewPeers()
    {
        if (_peers.Count < _options.MaxPeers || !_dialer.HasUntried)
            return;
        var worst = PeerRating.WorstToReplace(_peers.Select(p => p.Record(_time)).ToList());
        if (worst is { } index)
        {
            _logger.LogDebug("Dropping {Peer} (lowest rating) to make room for new peers", _peers[index].Name);
            _peers[index].Lifetime.Cancel();
        }
    }

    private void StartPeer(PeerConnection connection, KnownPeer? known)
    {
        var peer = new PeerSession(connection, _torrent.PieceCount, _time);
        lock (_gate)
        {
            var existing = _peers.Find(p => p.Connection.Remote.PeerId.Equals(connection.Remote.PeerId) && !p.Lifetime.IsCancellationRequested);
            if (existing is not null && !KeepsNewConnection(existing.Connection, connection))
            {
                // The address leads to a peer we already talk to (it dialled us first, or a tracker named it
                // afterwards): it counts as connected until that connection ends, so it is not dialled again.
                if (known is not null)
                    existing.AddKnownAddress(known);
                _ = connection.DisposeAsync();
                return;
            }
            if (existing is null && _peers.Count >= _options.MaxPeers)
            {
                _ = connection.DisposeAsync();
                return;
            }
            if (existing is not null)
            {
                foreach (var address in existing.TakeKnownAddresses())
                    peer.AddKnownAddress(address);
                existing.Lifetime.Cancel();
            }
            _peers.Add(peer);
            if (known is null && !connection.IsOutgoing)
                _logger.LogDebug("Incoming peer {Peer} ({Client})", peer.Name, connection.Remote.PeerId.ClientName);
            if (known is not null)
                peer.AddKnownAddress(known);
        }
        Track(RunPeerAsync(peer));
    }

    /// <summary>
    /// Two connections to one peer (both dialled each other, or one dialled an address of a peer already
    /// connected): keep the one opened by the lower peer id. Both ends apply the same rule, so they keep the same
    /// connection instead of each closing the other's. Two connections in the same direction: the first stays.
    /// </summary>
    private bool KeepsNewConnection(PeerConnection existing, PeerConnection added)
    {
        if (existing.IsOutgoing == added.IsOutgoing)
            return false;
        var weOpenFirst = OurHandshake.PeerId.Span.SequenceCompareTo(added.Remote.PeerId.Span) < 0;
        return added.IsOutgoing == weOpenFirst;
    }

    private async Task RunPeerAsync(PeerSession peer)
    {
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(_lifetime.Token, peer.Lifetime.Token);
        var token = linked.Token;
        string reason = "closed by peer";
        try
        {
            if (ExtensionSupport.Supports(peer.Connection.Remote))
                await peer.Connection.SendAsync(ExtensionSupport.HandshakeFrame(_torrent.InfoBytes.Length, _options.AdvertisedPort, offerPex: _pex.Enabled), token).ConfigureAwait(false);
            if (!_have.IsEmpty)
                await SendBitfieldAsync(peer, token).ConfigureAwait(false);
            var sender = peer.RunSenderAsync(_readCache, StillWanted, OnUploaded, _uploadLimit, token);
            var receiver = peer.Connection.ReceiveAsync(new FrameLimits(_torrent.PieceCount), m => _messages.Handle(peer, m), token, _downloadLimit);
            var first = await Task.WhenAny(sender, receiver).ConfigureAwait(false);
            await first.ConfigureAwait(false);
        }
        catch (PeerProtocolException error)
        {
            reason = $"protocol violation: {error.Message}";
        }
        catch (OperationCanceledException)
        {
            reason = "stopped";
        }
        catch (Exception error) when (error is IOException or System.Net.Sockets.SocketException)
        {
            reason = error.Message;
        }
        catch (Exception error)
        {
            reason = error.Message;
            _logger.LogWarning(error, "Peer {Peer} failed", peer.Name);
        }
        await linked.CancelAsync().ConfigureAwait(false);
        peer.CloseOutbox();
        await peer.Connection.DisposeAsync().ConfigureAwait(false);
        RemovePeer(peer, reason);
    }

    private async Task SendBitfieldAsync(PeerSession peer, CancellationToken token)
    {
        byte[] message;
        lock (_gate)
        {
            message = new byte[MessageWriter.BitfieldLength(_have.Bytes)];
            MessageWriter.WriteBitfield(message, _have.Bytes);
        }
        await peer.Connection.SendAsync(message, token).ConfigureAwait(false);
    }

    private void RemovePeer(PeerSession peer, string reason)
    {
        _logger.LogDebug("Peer {Peer} disconnected: {Reason}", peer.Name, reason);
        lock (_gate)
        {
            if (!_peers.Remove(peer))
                return;
            _scheduler.DropRequests(peer);
            _scheduler.Picker.RemovePeer(peer.Has);
            foreach (var known in peer.TakeKnownAddresses())
                _dialer.OnDisconnected(known, stopping: _lifetime.IsCancellationRequested);
            foreach (var other in _peers)
                _scheduler.FillRequests(other);
        }
    }

    private void Track(Task task)
    {
        lock (_gate)
        {
            _background.RemoveAll(t => t.IsCompleted);
            _background.Add(task);
        }
    }

    private bool StillWanted(PeerSession peer, OutgoingMessage block)
    {
        lock (_gate)
            return peer.PendingUploads.Remove(BlockRequest.Key(block.Index, block.Begin));
    }

    private void OnUploaded(int bytes) => _uploadRate.Add(bytes);

    private static string Flags(PeerSession p) =>
        (p.PeerChoking ? "" : "D") + (p.AmChoking ? "" : "U") + (p.AmInterested ? "i" : "") + (p.PeerInterested ? "I" : "")
        + (p.IsSnubbed ? "S" : "") + (p.Connection.IsOutgoing ? "o" : "x");
}
