using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using Microsoft.Extensions.Logging;
using P2PShare.Metainfo;
using P2PShare.Networking;
using P2PShare.Networking.Peers;
using P2PShare.Protocol;
using P2PShare.Protocol.Wire;
using Polly;
using Polly.Retry;

namespace P2PShare.Engine;

/// <summary>
/// One torrent's swarm: dials and accepts peers, hands requests out through the scheduler, verifies
/// and stores pieces, chokes and unchokes. Swarm state is guarded by one lock; per-peer receive and
/// send loops and piece verification run concurrently around it.
/// </summary>
public sealed partial class TorrentSession : IAsyncDisposable
{
    private readonly Torrent _torrent;
    private readonly IPieceStore _store;
    private readonly EngineOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly object _gate = new();
    private readonly Bitfield _have;
    private readonly RequestScheduler _scheduler;
    private readonly Choker _choker;
    private readonly PeerBans _bans;
    private readonly SmartBan _smartBan = new();
    private readonly BlockReadCache _readCache;
    private readonly List<PeerSession> _peers = [];
    private readonly Dictionary<IPEndPoint, KnownPeer> _known = [];
    private readonly ResiliencePipeline _dialPipeline;
    private readonly RateEstimator _downloadRate;
    private readonly RateEstimator _uploadRate;
    private readonly TokenBucket? _uploadLimit;
    private readonly TokenBucket? _downloadLimit;
    private readonly TaskCompletionSource _completed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _failed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly CancellationTokenSource _lifetime = new();
    private readonly List<Task> _background = [];
    private int _halfOpen;
    private int _disposed;
    private long _verifiedBytes;
    private long _lastRechokeTicks;

    public TorrentSession(Torrent torrent, IPieceStore store, Bitfield have, PeerId ourId, EngineOptions options, TimeProvider time, Random random, ILogger logger)
    {
        _torrent = torrent;
        _store = store;
        _options = options;
        _time = time;
        _logger = logger;
        _have = have;
        OurHandshake = new Handshake(0, torrent.InfoHash, ourId);
        _scheduler = new RequestScheduler(torrent, have, new PiecePicker(torrent.PieceCount, random), options, time);
        _choker = new Choker(options.UploadSlots, time, random);
        _bans = new PeerBans(time, options.BanDuration);
        _downloadRate = new RateEstimator(time);
        _uploadRate = new RateEstimator(time);
        _readCache = new BlockReadCache(store, torrent.PieceSize, options.ReadCacheBytes);
        _uploadLimit = options.MaxUploadRate is { } up ? new TokenBucket(up, time) : null;
        _downloadLimit = options.MaxDownloadRate is { } down ? new TokenBucket(down, time) : null;
        _verifiedBytes = have.SetIndices().Sum(i => (long)torrent.PieceSize(i));
        _dialPipeline = new ResiliencePipelineBuilder { TimeProvider = time }
            .AddRetry(new RetryStrategyOptions
            {
                ShouldHandle = new PredicateBuilder().Handle<SocketException>().Handle<TimeoutException>().Handle<IOException>(),
                MaxRetryAttempts = options.DialRetries,
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                Delay = options.DialRetryDelay,
            })
            .Build();
        if (have.IsComplete)
            _completed.TrySetResult();
    }

    public Handshake OurHandshake { get; }

    public Torrent Torrent => _torrent;

    /// <summary>Completes when every piece is verified and stored.</summary>
    public Task Completed => _completed.Task;

    /// <summary>Raised (outside the lock) after a piece is verified and written.</summary>
    public event Action<int>? PieceVerified;

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
                _torrent.PieceCount, _have.CountSet, _torrent.TotalLength, _verifiedBytes,
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
            return _known.Values.Where(k => k.WasUseful && !k.GivenUp).Select(k => k.EndPoint).ToList();
    }

    public void AddPeers(IEnumerable<IPEndPoint> endPoints)
    {
        lock (_gate)
        {
            foreach (var endPoint in endPoints)
            {
                if (endPoint.Port is <= 0 or > IPEndPoint.MaxPort || _known.ContainsKey(endPoint))
                    continue;
                _known[endPoint] = new KnownPeer(endPoint);
            }
        }
    }

    /// <summary>Runs the session until cancelled; throws if storage fails (the download cannot go on).</summary>
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _lifetime.Token);
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(1), _time);
        var failed = _failed.Task;
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
            DialMore(now, cancellationToken);
        }
    }

    private void DialMore(long now, CancellationToken cancellationToken)
    {
        // A seed dials too: some clients (transmission) never dial loopback or NATed peers themselves.
        foreach (var known in _known.Values)
        {
            if (_peers.Count + _halfOpen >= _options.MaxPeers || _halfOpen >= _options.MaxHalfOpen)
                return;
            if (known.IsConnected || known.IsConnecting || known.GivenUp || now < known.NotBeforeTicks || _bans.IsBanned(known.EndPoint))
                continue;
            known.IsConnecting = true;
            _halfOpen++;
            Track(DialAsync(known, cancellationToken));
        }
    }

    /// <summary>At the peer limit with untried addresses waiting, the worst-rated peer gives up its place.</summary>
    private void MakeRoomForNewPeers()
    {
        if (_peers.Count < _options.MaxPeers || !_known.Values.Any(k => !k.IsConnected && !k.IsConnecting && !k.GivenUp))
            return;
        var worst = PeerRating.WorstToReplace(_peers.Select(p => p.Record(_time)).ToList());
        if (worst is { } index)
        {
            _logger.LogDebug("Dropping {Peer} (lowest rating) to make room for new peers", _peers[index].Name);
            _peers[index].Lifetime.Cancel();
        }
    }

    private async Task DialAsync(KnownPeer known, CancellationToken cancellationToken)
    {
        PeerConnection? connection = null;
        try
        {
            connection = await _dialPipeline.ExecuteAsync(
                async token => await PeerConnection.ConnectAsync(known.EndPoint, OurHandshake, _options.ConnectTimeout, token).ConfigureAwait(false),
                cancellationToken).ConfigureAwait(false);
        }
        catch (Exception error) when (error is not OperationCanceledException)
        {
            _logger.LogDebug("Could not connect to {Peer}: {Reason}", known.EndPoint, error.Message);
        }
        catch (OperationCanceledException)
        {
        }
        lock (_gate)
        {
            _halfOpen--;
            known.IsConnecting = false;
            if (connection is null)
                known.GivenUp = true;
        }
        if (connection is not null)
            StartPeer(connection, known);
    }

    private void Track(Task task)
    {
        lock (_gate)
        {
            _background.RemoveAll(t => t.IsCompleted);
            _background.Add(task);
        }
    }

    private static string Flags(PeerSession p) =>
        (p.PeerChoking ? "" : "D") + (p.AmChoking ? "" : "U") + (p.AmInterested ? "i" : "") + (p.PeerInterested ? "I" : "")
        + (p.IsSnubbed ? "S" : "") + (p.Connection.IsOutgoing ? "o" : "x");
}
