using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using P2PShare.Metainfo;
using P2PShare.Protocol.Lsd;

namespace P2PShare.Networking.Lsd;

/// <summary>
/// BEP 14 on the local network: announces each registered torrent to 239.192.152.143:6771 (and the IPv6 group) when
/// it is registered and then every <see cref="LsdOptions.AnnounceInterval"/> (never more than once a minute), and
/// passes on the peers other clients announce for registered torrents. Our own announces (looped back by the
/// kernel) are recognised by a random cookie. Reading is bounded: datagram size, datagrams per second, and how
/// often the same peer is reported.
/// </summary>
internal sealed class LocalServiceDiscovery : IAsyncDisposable
{
    private const int ReceiveBufferBytes = LsdMessage.MaxDatagramBytes + 1;
    private readonly int _listenPort;
    private readonly LsdOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly List<(Socket Socket, IPEndPoint Group, string Host)> _sockets;
    private readonly ConcurrentDictionary<InfoHash, LsdRegistration> _torrents = new();
    private readonly Dictionary<(InfoHash, IPEndPoint), DateTimeOffset> _reported = [];
    private readonly CancellationTokenSource _lifetime = new();
    private readonly List<Task> _loops = [];
    private volatile TaskCompletionSource _wake = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private long _received;
    private long _dropped;
    private long _sent;
    private long _windowStart;
    private int _windowCount;

    private LocalServiceDiscovery(int listenPort, LsdOptions options, TimeProvider time, Random random, ILogger logger, List<(Socket, IPEndPoint, string)> sockets)
    {
        _listenPort = listenPort;
        _options = options;
        _time = time;
        _logger = logger;
        _sockets = sockets;
        Cookie = Convert.ToHexStringLower(BitConverter.GetBytes(random.NextInt64()));
    }

    /// <summary>Sent in every announce; announces carrying it are ours and ignored.</summary>
    public string Cookie { get; }

    /// <summary>Announces sent, datagrams read, datagrams dropped (over the rate, malformed, ours).</summary>
    public (long Sent, long Received, long Dropped) Counters => (Interlocked.Read(ref _sent), Interlocked.Read(ref _received), Interlocked.Read(ref _dropped));

    /// <summary>Joins the groups (IPv4 required, IPv6 best effort) and starts; null (logged) when port 6771 cannot be used.</summary>
    public static LocalServiceDiscovery? Start(int listenPort, LsdOptions options, TimeProvider time, Random random, ILogger logger)
    {
        var sockets = new List<(Socket, IPEndPoint, string)>();
        try
        {
            sockets.Add((OpenIPv4(options.InterfaceAddress), new IPEndPoint(IPAddress.Parse(LsdMessage.IPv4Group), LsdMessage.Port),
                $"{LsdMessage.IPv4Group}:{LsdMessage.Port}"));
        }
        catch (SocketException error)
        {
            logger.LogWarning("Local peer discovery (LSD) is off: cannot join {Group}:{Port}: {Reason}", LsdMessage.IPv4Group, LsdMessage.Port, error.Message);
            return null;
        }
        if (options.IPv6 && Socket.OSSupportsIPv6 && IPAddress.Any.Equals(options.InterfaceAddress))
        {
            try
            {
                sockets.Add((OpenIPv6(), new IPEndPoint(IPAddress.Parse(LsdMessage.IPv6Group), LsdMessage.Port), $"[{LsdMessage.IPv6Group}]:{LsdMessage.Port}"));
            }
            catch (SocketException error)
            {
                logger.LogDebug("LSD over IPv6 is off: {Reason}", error.Message);
            }
        }
        var lsd = new LocalServiceDiscovery(listenPort, options, time, random, logger, sockets);
        foreach (var (socket, _, _) in sockets)
            lsd._loops.Add(Task.Run(() => lsd.ReceiveLoopAsync(socket, lsd._lifetime.Token)));
        lsd._loops.Add(Task.Run(() => lsd.AnnounceLoopAsync(lsd._lifetime.Token)));
        logger.LogInformation("Local peer discovery (LSD) on {Groups}, cookie {Cookie}", string.Join(", ", sockets.Select(s => s.Item3)), lsd.Cookie);
        return lsd;
    }

    private static Socket OpenIPv4(IPAddress interfaceAddress)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        try
        {
            socket.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
            socket.Bind(new IPEndPoint(IPAddress.Any, LsdMessage.Port));
            socket.SetSocketOption(SocketOptionLevel.IP, SocketOptionName.AddMembership,
                new MulticastOption(IPAddress.Parse(LsdMessage.IPv4Group), interfaceAddress));
            if (!IPAddress.Any.Equals(interfaceAddress))
                socket.SetSocketOption(SocketOptionLevel.IP, SocketOptionName.MulticastInterface, interfaceAddress.GetAddressBytes());
            socket.SetSocketOption(SocketOptionLevel.IP, SocketOptionName.MulticastTimeToLive, 1);
            socket.SetSocketOption(SocketOptionLevel.IP, SocketOptionName.MulticastLoopback, true);
            return socket;
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    private static Socket OpenIPv6()
    {
        var socket = new Socket(AddressFamily.InterNetworkV6, SocketType.Dgram, ProtocolType.Udp);
        try
        {
            socket.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
            socket.DualMode = false;
            socket.Bind(new IPEndPoint(IPAddress.IPv6Any, LsdMessage.Port));
            socket.SetSocketOption(SocketOptionLevel.IPv6, SocketOptionName.AddMembership, new IPv6MulticastOption(IPAddress.Parse(LsdMessage.IPv6Group)));
            socket.SetSocketOption(SocketOptionLevel.IPv6, SocketOptionName.MulticastTimeToLive, 1);
            return socket;
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Announces <paramref name="infoHash"/> (soon, then every interval) and calls <paramref name="onPeer"/> (on a
    /// background thread) with each peer heard announcing it. Dispose the result to stop. Never for private torrents.
    /// </summary>
    public IDisposable Register(InfoHash infoHash, Action<IPEndPoint> onPeer)
    {
        var registration = new LsdRegistration(this, infoHash, onPeer);
        if (_torrents.Count >= _options.MaxTorrents)
        {
            _logger.LogDebug("LSD: {InfoHash} not announced ({Max} torrents already)", infoHash, _options.MaxTorrents);
            return registration;
        }
        _torrents[infoHash] = registration;
        _wake.TrySetResult();
        return registration;
    }

    internal void Unregister(LsdRegistration registration) =>
        _torrents.TryRemove(new KeyValuePair<InfoHash, LsdRegistration>(registration.InfoHash, registration));

    private async Task AnnounceLoopAsync(CancellationToken cancellationToken)
    {
        try
        {
            while (!cancellationToken.IsCancellationRequested)
            {
                // Reset before looking at the torrents: a registration after this point wakes the wait below.
                if (_wake.Task.IsCompleted)
                    _wake = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                var now = _time.GetUtcNow();
                var next = now + _options.AnnounceInterval;
                foreach (var registration in _torrents.Values)
                {
                    var due = registration.LastAnnounce is { } last ? last + (registration.Announces == 1 ? _options.MinAnnounceGap : _options.AnnounceInterval) : now;
                    if (due <= now)
                    {
                        registration.LastAnnounce = now;
                        registration.Announces++;
                        await SendAsync(registration.InfoHash, cancellationToken).ConfigureAwait(false);
                        due = now + (registration.Announces == 1 ? _options.MinAnnounceGap : _options.AnnounceInterval);
                    }
                    if (due < next)
                        next = due;
                }
                var wait = next - _time.GetUtcNow();
                if (wait > TimeSpan.Zero)
                {
                    // A new registration wakes the loop early, so a torrent is announced as soon as it starts.
                    using var sleep = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                    await Task.WhenAny(_wake.Task, Task.Delay(wait, _time, sleep.Token)).ConfigureAwait(false);
                    await sleep.CancelAsync().ConfigureAwait(false);
                    cancellationToken.ThrowIfCancellationRequested();
                }
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
        catch (Exception error)
        {
            _logger.LogWarning("LSD announces stopped: {Reason}", error.Message);
        }
    }

    private async Task SendAsync(InfoHash infoHash, CancellationToken cancellationToken)
    {
        foreach (var (socket, group, host) in _sockets)
        {
            try
            {
                await socket.SendToAsync(LsdMessage.Build(host, _listenPort, [infoHash], Cookie), SocketFlags.None, group, cancellationToken).ConfigureAwait(false);
                Interlocked.Increment(ref _sent);
            }
            catch (SocketException error)
            {
                _logger.LogDebug("LSD announce to {Group} failed: {Reason}", group, error.Message);
            }
        }
        _logger.LogDebug("LSD announced {InfoHash} on port {Port}", infoHash, _listenPort);
    }

    private async Task ReceiveLoopAsync(Socket socket, CancellationToken cancellationToken)
    {
        var buffer = new byte[ReceiveBufferBytes];
        EndPoint any = socket.AddressFamily == AddressFamily.InterNetwork ? new IPEndPoint(IPAddress.Any, 0) : new IPEndPoint(IPAddress.IPv6Any, 0);
        while (!cancellationToken.IsCancellationRequested)
        {
            SocketReceiveFromResult result;
            try
            {
                result = await socket.ReceiveFromAsync(buffer, SocketFlags.None, any, cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
            catch (ObjectDisposedException)
            {
                return;
            }
            catch (SocketException error)
            {
                _logger.LogDebug("LSD receive: {Reason}", error.Message);
                continue;
            }
            Interlocked.Increment(ref _received);
            if (!WithinRate())
            {
                Interlocked.Increment(ref _dropped);
                continue;
            }
            Handle(buffer.AsSpan(0, result.ReceivedBytes), (IPEndPoint)result.RemoteEndPoint);
        }
    }

    private bool WithinRate()
    {
        var second = _time.GetUtcNow().ToUnixTimeSeconds();
        if (Interlocked.Exchange(ref _windowStart, second) != second)
            Interlocked.Exchange(ref _windowCount, 0);
        return Interlocked.Increment(ref _windowCount) <= _options.MaxDatagramsPerSecond;
    }

    /// <summary>One datagram: parsed within bounds; ours, malformed, or of unregistered torrents are dropped.</summary>
    internal void Handle(ReadOnlySpan<byte> datagram, IPEndPoint from)
    {
        LsdAnnounce announce;
        try
        {
            announce = LsdMessage.Parse(datagram);
        }
        catch (LsdFormatException error)
        {
            Interlocked.Increment(ref _dropped);
            _logger.LogDebug("LSD datagram from {From} dropped: {Reason}", from, error.Message);
            return;
        }
        if (announce.Cookie == Cookie)
            return;
        var address = from.Address.IsIPv4MappedToIPv6 ? from.Address.MapToIPv4() : from.Address;
        var peer = new IPEndPoint(address, announce.Port);
        var now = _time.GetUtcNow();
        foreach (var hash in announce.InfoHashes)
        {
            if (!_torrents.TryGetValue(hash, out var registration))
                continue;
            lock (_reported)
            {
                if (_reported.TryGetValue((hash, peer), out var last) && now - last < _options.PeerRepeatGap)
                    continue;
                if (_reported.Count >= 4096)
                    _reported.Clear();
                _reported[(hash, peer)] = now;
            }
            _logger.LogInformation("LSD: peer {Peer} for {InfoHash}", peer, hash);
            try
            {
                registration.OnPeer(peer);
            }
            catch (Exception error)
            {
                _logger.LogWarning("LSD peer handler for {InfoHash} failed: {Reason}", hash, error.Message);
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _lifetime.CancelAsync().ConfigureAwait(false);
        foreach (var (socket, _, _) in _sockets)
            socket.Dispose();
        await Task.WhenAll(_loops).WaitAsync(TimeSpan.FromSeconds(5)).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        _lifetime.Dispose();
    }
}
