using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using P2PShare.Engine.Disk;
using P2PShare.Metainfo;
using P2PShare.Networking;
using P2PShare.Networking.Dht;
using P2PShare.Networking.Encryption;
using P2PShare.Networking.Peers;
using P2PShare.Networking.Trackers;
using P2PShare.Networking.Udp;
using P2PShare.Protocol.Wire;

namespace P2PShare.Engine;

/// <summary>
/// The process-wide part of the client (libtorrent's session, MonoTorrent's ClientEngine): one listen port (TCP, and
/// UDP on the same number for DHT and uTP), incoming handshakes routed to torrents by info-hash, the engine-wide
/// connection budget and rate limits, one HTTP client for trackers, and our peer id. Torrents register while they
/// run; everything per torrent lives in the torrent's own objects.
/// </summary>
internal sealed partial class ClientEngine : IAsyncDisposable
{
    private readonly ConcurrentDictionary<InfoHash, ITorrentPeerSink> _torrents = new();
    private readonly BackgroundTasks _handshakes = new();
    private readonly InboundAddressLimiter _addressLimiter;
    private readonly PendingHandshakeTable _pendingTable;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly PeerListener _listener;
    private readonly CancellationTokenSource _lifetime = new();
    private readonly List<Task> _loops = [];
    private volatile EngineSettings _settings;
    private int _pendingHandshakes;
    private long _refusedHandshakes;
    private long _refusedByAddress;
    private int _disposed;

    private ClientEngine(EngineSettings settings, PeerListener listener, UdpPort? udp, TimeProvider time, ILoggerFactory loggers, Random random)
    {
        _settings = settings;
        _listener = listener;
        Udp = udp;
        _time = time;
        _logger = loggers.CreateLogger<ClientEngine>();
        PeerId = PeerId.CreateOurs(random);
        _addressLimiter = new InboundAddressLimiter(settings.InboundAddressLimits, time);
        _pendingTable = new PendingHandshakeTable(time);
        Utp = CreateUtp(settings, udp, time, random, loggers);
        Resources = new SharedResources(
            new ConnectionBudget(settings.MaxConnections, settings.MaxHalfOpen),
            new TokenBucket(settings.MaxUploadRate, time),
            new TokenBucket(settings.MaxDownloadRate, time),
            CreateTransport(settings, Utp))
        {
            Disk = new DiskQueue(new DiskQueueOptions { MemoryBudgetBytes = settings.DiskQueueBytes }, loggers.CreateLogger<DiskQueue>()),
            ReadCache = new SharedReadCache(settings.ReadCacheBytes),
            Dht = settings.Dht && udp is not null
                ? new DhtNode(new DhtOptions { StateFilePath = settings.DhtStateFile }, udp, time, random, loggers.CreateLogger<DhtNode>())
                : null,
            Encryption = settings.Encryption,
        };
        TrackerHttp = HttpTrackerClient.CreateHttpClient(TrackerOptions.Default);
        TrackerUdp = udp is not null ? UdpTrackerSocket.On(udp, loggers.CreateLogger<UdpTrackerSocket>()) : null;
    }

    public EngineSettings Settings => _settings;

    public PeerId PeerId { get; }

    /// <summary>The TCP (and UDP) port every torrent listens on.</summary>
    public int Port => _listener.Port;

    /// <summary>The UDP socket on <see cref="Port"/> that DHT and uTP share; null when that port could not be bound for UDP.</summary>
    public UdpPort? Udp { get; }

    public SharedResources Resources { get; }

    /// <summary>One HTTP client for every torrent's HTTP trackers.</summary>
    public HttpClient TrackerHttp { get; }

    /// <summary>Every torrent's UDP trackers are spoken to through the shared UDP port; null when it could not be bound.</summary>
    public UdpTrackerSocket? TrackerUdp { get; }

    /// <summary>Incoming connections closed unheard because too many were still handshaking.</summary>
    public long RefusedHandshakes => Interlocked.Read(ref _refusedHandshakes);

    public int PendingHandshakes => Volatile.Read(ref _pendingHandshakes);

    /// <summary>How long a handshake in progress must have been silent before a newcomer may take its place at the cap.</summary>
    public static TimeSpan SilentHandshakeAge { get; } = TimeSpan.FromSeconds(1);

    /// <summary>Incoming connections closed at accept by the per-address limits (also counted in <see cref="RefusedHandshakes"/>).</summary>
    public long RefusedByAddress => Interlocked.Read(ref _refusedByAddress);

    /// <summary>Binds the port (the first from <see cref="EngineSettings.Port"/> free for both TCP and UDP) and starts accepting.</summary>
    public static ClientEngine Start(EngineSettings settings, TimeProvider time, ILoggerFactory loggers, Random? random = null)
    {
        settings.Validate();
        if (!settings.LocalOnly && EngineSettings.LocalOnlyRequestedByEnvironment)
            settings = settings.RestrictedToLocal();
        var logger = loggers.CreateLogger<ClientEngine>();
        var (listener, udp) = Bind(settings, logger);
        random ??= new Random();
        var engine = new ClientEngine(settings, listener, udp, time, loggers, random);
        engine._loops.Add(listener.RunAsync(engine.OnAcceptedAsync, engine._lifetime.Token));
        if (udp is not null)
            engine._loops.Add(udp.RunAsync(engine._lifetime.Token));
        engine.StartUtp();
        engine.StartNative(loggers);
        engine.StartNatTraversal(settings, time, loggers, random);
        if (engine.Resources.Dht is { } dht)
        {
            udp!.AddHandler(dht);
            engine._loops.Add(dht.RunAsync(engine._lifetime.Token));
            // Not awaited: resolving the routers must never delay start-up; without internet the node just stays empty.
            engine._loops.Add(engine.BootstrapDhtAsync(dht, settings.DhtBootstrap ?? EngineSettings.DefaultDhtRouters));
        }
        return engine;
    }

    private static (PeerListener, UdpPort?) Bind(EngineSettings settings, ILogger logger)
    {
        var port = settings.Port;
        for (var attempt = 0; attempt < 20; attempt++)
        {
            var listener = PeerListener.Start(settings.ListenAddress, port, logger);
            try
            {
                return (listener, UdpPort.Bind(settings.ListenAddress, listener.Port, logger));
            }
            catch (SocketException error) when (error.SocketErrorCode == SocketError.AddressAlreadyInUse)
            {
                // The TCP port is free but its UDP twin is not: move on, so both stay one number.
                _ = listener.DisposeAsync();
                port = settings.Port == 0 ? 0 : listener.Port + 1;
            }
        }
        logger.LogWarning("No port from {Port} is free for both TCP and UDP; UDP (DHT, uTP) is off", settings.Port);
        return (PeerListener.Start(settings.ListenAddress, settings.Port, logger), null);
    }

    /// <summary>The DHT node (BEP 5) on the UDP port; null when off.</summary>
    public DhtNode? Dht => Resources.Dht;

    private async Task BootstrapDhtAsync(DhtNode dht, IReadOnlyList<EndPoint> nodes)
    {
        try
        {
            var found = await dht.BootstrapAsync(nodes, _lifetime.Token).ConfigureAwait(false);
            _logger.LogInformation("DHT bootstrapped from {Count} given nodes: {Nodes} nodes known", nodes.Count, found);
        }
        catch (OperationCanceledException)
        {
        }
        catch (Exception error)
        {
            _logger.LogWarning("DHT bootstrap failed: {Reason}", error.Message);
        }
    }

    /// <summary>Replaces the engine-wide settings while running (limits and rates at once; the port stays).</summary>
    public void ApplySettings(EngineSettings settings)
    {
        settings.Validate();
        _settings = settings;
        Resources.Connections.SetLimits(settings.MaxConnections, settings.MaxHalfOpen);
        Resources.Upload.SetRate(settings.MaxUploadRate);
        Resources.Download.SetRate(settings.MaxDownloadRate);
        Resources.Encryption = settings.Encryption;
        _addressLimiter.SetLimits(settings.InboundAddressLimits);
    }

    /// <summary>Routes incoming handshakes for <paramref name="infoHash"/> to <paramref name="sink"/> (replacing an earlier sink).</summary>
    public void Register(InfoHash infoHash, ITorrentPeerSink sink) => _torrents[infoHash] = sink;

    /// <summary>Stops routing to <paramref name="sink"/> (a later sink of the same torrent is left alone).</summary>
    public void Unregister(InfoHash infoHash, ITorrentPeerSink sink) =>
        _torrents.TryRemove(new KeyValuePair<InfoHash, ITorrentPeerSink>(infoHash, sink));

    public IReadOnlyCollection<InfoHash> Torrents => _torrents.Keys.ToList();

    private Task OnAcceptedAsync(Socket socket, CancellationToken cancellationToken)
    {
        IPEndPoint from;
        try
        {
            socket.NoDelay = true;
            from = (IPEndPoint)socket.RemoteEndPoint!;
        }
        catch (Exception error) when (error is SocketException or ObjectDisposedException)
        {
            // Reset before we looked at it.
            socket.Dispose();
            return Task.CompletedTask;
        }
        return OnAcceptedAsync(new NetworkStream(socket, ownsSocket: true), from, TcpPeerTransport.Instance.Name, cancellationToken);
    }

    /// <summary>An accepted stream (TCP or uTP): handshaken within the pending cap and timeout, then routed by info-hash.</summary>
    private Task OnAcceptedAsync(Stream stream, IPEndPoint from, string transport, CancellationToken cancellationToken)
    {
        // Per address first: a host that floods us with handshakes we cannot serve is closed before a byte is read.
        if (!_addressLimiter.TryBegin(from.Address))
        {
            Interlocked.Increment(ref _refusedByAddress);
            Interlocked.Increment(ref _refusedHandshakes);
            stream.Dispose();
            return Task.CompletedTask;
        }
        // At the cap, the connection silent longest (a second or more) gives up its place; only if none has, the newcomer is refused.
        if (Interlocked.Increment(ref _pendingHandshakes) > _settings.MaxPendingHandshakes && !_pendingTable.CancelOldest(SilentHandshakeAge))
        {
            Interlocked.Decrement(ref _pendingHandshakes);
            _addressLimiter.End(from.Address, succeeded: true);
            Interlocked.Increment(ref _refusedHandshakes);
            stream.Dispose();
            return Task.CompletedTask;
        }
        return _handshakes.Track(HandshakeAsync(stream, from, transport, cancellationToken));
    }

    private async Task HandshakeAsync(Stream stream, IPEndPoint from, string transport, CancellationToken cancellationToken)
    {
        ITorrentPeerSink? sink = null;
        var succeeded = false;
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(_settings.HandshakeTimeout);
        using var registration = _pendingTable.Add(timeout);
        try
        {
            // Plain BitTorrent or MSE (its SKEY matched against every registered torrent), as the policy allows.
            var connection = await PeerConnection.AcceptAsync(stream, from, transport, _settings.Encryption, () => _torrents.Keys,
                hash => _torrents.TryGetValue(hash, out sink) ? sink.OurHandshake with { InfoHash = hash } : null, _settings.HandshakeTimeout, timeout.Token).ConfigureAwait(false);
            _logger.LogDebug("Incoming connection from {Peer} over {Transport}", connection.RemoteEndPoint, connection.Transport);
            sink = _torrents.GetValueOrDefault(connection.Remote.InfoHash);
            if (sink is null)
                await connection.DisposeAsync().ConfigureAwait(false);
            else
            {
                succeeded = true;
                CountIncoming(connection.RemoteEndPoint);
                sink.Attach(connection);
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            succeeded = true; // We are stopping: not the peer's fault.
            await stream.DisposeAsync().ConfigureAwait(false);
        }
        catch (Exception error)
        {
            await stream.DisposeAsync().ConfigureAwait(false);
            _logger.LogDebug("Incoming {Transport} connection dropped: {Reason}", transport, error is OperationCanceledException ? "no handshake in time" : error.Message);
        }
        finally
        {
            Interlocked.Decrement(ref _pendingHandshakes);
            _addressLimiter.End(from.Address, succeeded);
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
            return;
        await _lifetime.CancelAsync().ConfigureAwait(false);
        await StopNatTraversalAsync().ConfigureAwait(false);
        await _listener.DisposeAsync().ConfigureAwait(false);
        await StopNativeAsync().ConfigureAwait(false);
        if (Utp is not null)
            await Utp.DisposeAsync().ConfigureAwait(false);
        if (Udp is not null)
            await Udp.DisposeAsync().ConfigureAwait(false);
        await Task.WhenAll(_loops).WaitAsync(TimeSpan.FromSeconds(10)).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        await _handshakes.WhenAllAsync(TimeSpan.FromSeconds(10)).ConfigureAwait(false);
        TrackerHttp.Dispose();
        await Resources.Disk.DisposeAsync().ConfigureAwait(false);
        _lifetime.Dispose();
    }
}
