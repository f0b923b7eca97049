using System.Net;
using Microsoft.Extensions.Logging;
using P2PShare.Metainfo;
using P2PShare.Networking.Lsd;
using P2PShare.Networking.PortMapping;

namespace P2PShare.Engine;

/// <summary>
/// What makes the engine reachable and findable beyond its own listen port: the port mapper (PCP/NAT-PMP, UPnP IGD)
/// for the listen port, TCP and UDP, started in the background with the engine and undone at dispose; LSD (BEP 14)
/// for public torrents; and the count of incoming connections, which tells whether the port is reachable.
/// </summary>
internal sealed partial class ClientEngine
{
    private long _incomingConnections;
    private int _firstIncomingReported;

    /// <summary>The port mapper; null when port mapping is off (setting or local-only).</summary>
    public PortMapper? PortMapper { get; private set; }

    /// <summary>Local Service Discovery; null when off (setting, local-only) or when its port could not be joined.</summary>
    public LocalServiceDiscovery? Lsd { get; private set; }

    public PortMappingStatus PortMappingStatus => PortMapper?.Status ?? PortMappingStatus.Off;

    /// <summary>The external address the router reported (null until one did); the DHT takes it for its BEP 42 id.</summary>
    public IPAddress? ExternalAddress => PortMapper?.ExternalAddress;

    /// <summary>Incoming connections that completed a handshake for a registered torrent.</summary>
    public long IncomingConnections => Interlocked.Read(ref _incomingConnections);

    /// <summary>Raised once, on the first incoming connection handshaken for a torrent (with its remote end point).</summary>
    public event Action<IPEndPoint>? FirstIncomingConnection;

    /// <summary>Starts the mapper and LSD as the settings say; neither can delay start-up (both work in the background).</summary>
    private void StartNatTraversal(EngineSettings settings, TimeProvider time, ILoggerFactory loggers, Random random)
    {
        if (settings.PortMapping)
        {
            PortMapper = new PortMapper(Port, settings.ListenAddress, settings.PortMappingOptions, time, loggers.CreateLogger<PortMapper>());
            if (Resources.Dht is { } dht)
                PortMapper.ExternalAddressChanged += address => dht.LearnExternalAddress(address, "the router");
            PortMapper.Start();
        }
        if (settings.Lsd && !IPAddress.IsLoopback(settings.ListenAddress))
            Lsd = LocalServiceDiscovery.Start(Port, settings.LsdOptions, time, random, loggers.CreateLogger<LocalServiceDiscovery>());
    }

    /// <summary>
    /// Announces a public torrent over LSD and gives it the peers heard (null when LSD is off). Never call it for a
    /// private torrent (BEP 27: peers come from its tracker only).
    /// </summary>
    public IDisposable? AnnounceLocally(InfoHash infoHash, Action<IPEndPoint> onPeer) => Lsd?.Register(infoHash, onPeer);

    private void CountIncoming(IPEndPoint from)
    {
        Interlocked.Increment(ref _incomingConnections);
        if (Interlocked.Exchange(ref _firstIncomingReported, 1) == 0)
        {
            _logger.LogInformation("First incoming connection, from {Peer}: the port is reachable from there", from);
            FirstIncomingConnection?.Invoke(from);
        }
    }

    private async ValueTask StopNatTraversalAsync()
    {
        if (Lsd is not null)
            await Lsd.DisposeAsync().ConfigureAwait(false);
        if (PortMapper is not null)
            await PortMapper.DisposeAsync().ConfigureAwait(false);
    }
}
