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
internal sealed partial class TorrentSession : ITorrentPeerSink, IAsyncDisposable
{
    private readonly Torrent _torrent;
    private volatile EngineOptions _options;
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
    private readonly WebSeeds.WebSeedSet _webSeeds;
    private readonly RateEstimator _downloadRate;
    private readonly RateEstimator _uploadRate;
    private readonly TokenBucket _uploadLimit;
    private readonly TokenBucket _downloadLimit;
    private readonly SharedResources _shared;
    private readonly CancellationTokenSource _lifetime = new();
    private readonly BackgroundTasks _background = new();
    private int _disposed;
    private long _lastRechokeTicks;

    public TorrentSession(Torrent torrent, IPieceStore store, Bitfield have, PeerId ourId, EngineOptions options, TimeProvider time, Random random, ILogger logger,
        SharedResources? shared = null)
    {
        _shared = shared ?? SharedResources.Standalone(time);
        _torrent = torrent;
        _store = store;
        _options = options.Validate();
        _time = time;
        _logger = logger;
        _have = have;
        // BEP 27: a private torrent says nothing of a DHT node.
        var dhtBit = _shared.Dht is not null && !torrent.IsPrivate ? Handshake.DhtBit : 0;
        // BEP 52: a v2 or hybrid torrent says it speaks v2 (peers then take our hash requests).
        var v2Bit = torrent.V2 is not null ? Handshake.V2UpgradeBit : 0;
        OurHandshake = new Handshake(ExtensionSupport.Reserved | dhtBit | v2Bit, torrent.InfoHash, ourId);
        _scheduler = new RequestScheduler(torrent, have, new PiecePicker(torrent.PieceCount, random), options, time);
        _choker = new Choker(options.UploadSlots, time, random);
        _bans = new PeerBans(time, options.BanDuration);
        _downloadRate = new RateEstimator(time);
        _uploadRate = new RateEstimator(time);
        _readCache = _shared.ReadCache is { } readCache ? new BlockReadCache(store, torrent.PieceSize, readCache) : new BlockReadCache(store, torrent.PieceSize, options.ReadCacheBytes);
        // The torrent's own limits, under the engine's: a transfer pays both.
        _uploadLimit = new TokenBucket(options.MaxUploadRate ?? 0, time, _shared.Upload);
        _downloadLimit = new TokenBucket(options.MaxDownloadRate ?? 0, time, _shared.Download);
        // Redial jitter draws from the shared generator, not the injected one, so the picker's and choker's sequences stay as they were.
        _dialer = new PeerDialer(_gate, OurHandshake, options, _bans, time, Random.Shared, logger, Track, StartPeer, _shared);
        var judge = new BadDataJudge(_gate, _peers, _bans, _dialer, logger);
        _verifier = new PieceVerifier(_gate, torrent, store, have, _peers, _scheduler, _dialer, judge, Track, _lifetime.Token, logger, _shared.Disk, _time);
        _pex = new PeerExchange(torrent, _peers, _dialer, time, logger);
        _webSeeds = new WebSeeds.WebSeedSet(_gate, torrent, have, _peers, _scheduler, _verifier, _downloadLimit, _downloadRate, options.WebSeeds,
            Networking.WebSeeds.WebSeedHttp.Shared, time, logger, _lifetime.Token);
        _hashes = torrent.V2 is null ? null : new HashExchange(torrent, _peers, judge, time, logger);
        _verifier.Blocks = _hashes?.Blocks;
        if (_hashes is not null)
        {
            _hashes.Layers.LayerAdded += _verifier.OnLayerAdded;
            _hashes.Server.Blocks = new BlockHashServer(_gate, torrent, store, have, Track, _lifetime.Token, logger);
        }
        _messages = new PeerMessageHandler(_gate, torrent, have, _peers, _scheduler, _verifier, _downloadRate, new MetadataServer(torrent), _pex, options, time, logger,
            _hashes);
        _wanted = new Bitfield(torrent.PieceCount);
        _wanted.SetAll();
        _verifier.PieceVerified += OnWantedPieceVerified;
        UpdateWantedCompletion();
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
            var (wantedPieces, wantedHave, wantedLength, wantedVerified) = WantedCounts();
            return new TorrentProgress(
                _torrent.PieceCount, _have.CountSet, _torrent.TotalLength, _verifier.VerifiedBytes,
                _downloadRate.Total, _uploadRate.Total, _downloadRate.BytesPerSecond, _uploadRate.BytesPerSecond,
                _peers.Count + _webSeeds.ActiveCount + NativePeerCountLocked, _peers.Count(p => p.Has.IsComplete), _scheduler.InEndgame, _shared.Dht?.NodeCount,
                _shared.Dht is null ? null : _dialer.CountFrom(PeerSource.Dht))
            {
                WantedPieces = wantedPieces,
                WantedHave = wantedHave,
                WantedLength = wantedLength,
                WantedVerifiedBytes = wantedVerified,
            };
        }
    }

    public IReadOnlyList<PeerInfo> PeerList()
    {
        lock (_gate)
        {
            return _peers.Select(p => new PeerInfo(
                p.Name, p.Connection.Remote.PeerId.ClientName, p.DownloadRate.BytesPerSecond, p.UploadRate.BytesPerSecond,
                p.Has.Length == 0 ? 0 : (double)p.Has.CountSet / p.Has.Length, Flags(p), p.Outstanding.Count, p.HashFailures,
                PeerRating.Score(p.Record(_time)), p.Connection.Transport, p.IsFast,
                Source: p.KnownAddresses.Count > 0 ? p.KnownAddresses[0].Source : PeerSource.Incoming)).Concat(_webSeeds.Infos()).Concat(NativeInfos()).ToList();
        }
    }

    /// <summary>Addresses of peers that sent us verified data: saved so a restart reconnects at once.</summary>
    public IReadOnlyList<IPEndPoint> UsefulPeers()
    {
        lock (_gate)
            return _dialer.UsefulPeers();
    }

    /// <summary>Adds addresses to dial; they are dialled at once (within the limits), not at the next tick.</summary>
    public void AddPeers(IEnumerable<IPEndPoint> endPoints, PeerSource source = PeerSource.Given)
    {
        lock (_gate)
        {
            _dialer.Add(endPoints, source);
            if (_disposed == 0)
                _dialer.DialMore(_peers.Count, _time.GetTimestamp(), _lifetime.Token);
        }
    }

    /// <summary>
    /// Replaces this torrent's options while it runs: rate limits, the peer limit and upload slots apply at once,
    /// as do the timeouts the session's tick reads; what the dialer, scheduler and web seeds took at start
    /// (request queue, dial retries, web-seed settings) applies from the torrent's next start.
    /// </summary>
    public void ApplyOptions(EngineOptions options)
    {
        options.Validate();
        lock (_gate)
        {
            _options = options;
            _choker.UploadSlots = options.UploadSlots;
        }
        SetRateLimits(options.MaxUploadRate, options.MaxDownloadRate);
    }

    /// <summary>Changes this torrent's rate limits while it runs (null: none).</summary>
    public void SetRateLimits(long? maxUploadRate, long? maxDownloadRate)
    {
        _uploadLimit.SetRate(maxUploadRate ?? 0);
        _downloadLimit.SetRate(maxDownloadRate ?? 0);
    }

    /// <summary>Runs the session until cancelled; throws if storage fails (the download cannot go on).</summary>
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _lifetime.Token);
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(1), _time);
        var failed = _verifier.Failed;
        Track(_webSeeds.RunAsync(linked.Token));
        StartNativeDialling();
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
        await _background.WhenAllAsync(TimeSpan.FromSeconds(10)).ConfigureAwait(false);
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
                if (_time.GetElapsedTime(peer.LastMessageAt, now) > _options.IdleTimeout)
                {
                    peer.CloseReason ??= $"silent for {_options.IdleTimeout.TotalSeconds:0} s";
                    peer.Lifetime.Cancel();
                    continue;
                }
                if (_time.GetElapsedTime(peer.LastSentAt, now) >= _options.KeepAliveInterval)
                {
                    peer.LastSentAt = now;
                    peer.Enqueue(new OutgoingMessage(MessageId.KeepAlive));
                }
                if (_scheduler.ExpireRequests(peer, now))
                    peer.IsSnubbed = true;
                if (!peer.PeerChoking && peer.AmInterested && _time.GetElapsedTime(peer.LastReceivedDataAt, now) > _options.SnubTimeout)
                    peer.IsSnubbed = true;
                _scheduler.FillRequests(peer);
            }
            ServeDeadlinesOnTick(now);
            if (_time.GetElapsedTime(_lastRechokeTicks, now) >= Choker.RechokeInterval)
            {
                _lastRechokeTicks = now;
                Rechoke();
                MakeRoomForNewPeers();
            }
            _pex.Tick(now);
            _hashes?.Tick(_peers);
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

    private void Track(Task task) => _background.Track(task);

    private void OnUploaded(int bytes) => _uploadRate.Add(bytes);

    private static string Flags(PeerSession p) =>
        (p.PeerChoking ? "" : "D") + (p.AmChoking ? "" : "U") + (p.AmInterested ? "i" : "") + (p.PeerInterested ? "I" : "")
        + (p.IsSnubbed ? "S" : "") + (p.Connection.IsOutgoing ? "o" : "x") + (p.IsFast ? "F" : "");
}
