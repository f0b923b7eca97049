using System.Net;
using P2PShare.Networking.Encryption;

namespace P2PShare.Engine;

/// <summary>
/// Engine-wide settings (what all torrents share), immutable and validated; <see cref="ClientEngine.ApplySettings"/>
/// replaces them while running. Per-torrent tunables are <see cref="EngineOptions"/>.
/// </summary>
public sealed record EngineSettings
{
    public IPAddress ListenAddress { get; init; } = IPAddress.Any;

    /// <summary>TCP and UDP port for all torrents; the next free one when taken; 0: any.</summary>
    public int Port { get; init; } = 6881;

    /// <summary>Peer connections of all torrents together.</summary>
    public int MaxConnections { get; init; } = 500;

    /// <summary>Dials in progress of all torrents together.</summary>
    public int MaxHalfOpen { get; init; } = 32;

    /// <summary>Incoming connections still handshaking; beyond this a new one is closed at once.</summary>
    public int MaxPendingHandshakes { get; init; } = 64;

    public TimeSpan HandshakeTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Per-address caps on incoming handshakes: in progress at once, and a budget of failed ones.</summary>
    internal InboundAddressLimits InboundAddressLimits { get; init; } = InboundAddressLimits.Default;

    /// <summary>All torrents' upload together, bytes per second; 0: none.</summary>
    public long MaxUploadRate { get; init; }

    /// <summary>All torrents' download together, bytes per second; 0: none.</summary>
    public long MaxDownloadRate { get; init; }

    /// <summary>Bytes of completed pieces waiting to be hashed and written, all torrents together: beyond it the network waits.</summary>
    public long DiskQueueBytes { get; init; } = 16 * 1024 * 1024;

    /// <summary>Read cache for uploads, all torrents together.</summary>
    public long ReadCacheBytes { get; init; } = 32 * 1024 * 1024;

    /// <summary>Open data files of all torrents together.</summary>
    public int MaxOpenFiles { get; init; } = 256;

    /// <summary>Message Stream Encryption of peer connections, both ways (dials, accepted connections, magnets' metadata phase).</summary>
    public EncryptionPolicy Encryption { get; init; } = EncryptionPolicy.Prefer;

    /// <summary>Transports peers are dialled over; uTP shares the UDP port with the DHT.</summary>
    public PeerTransportMode Transport { get; init; } = PeerTransportMode.Both;

    /// <summary>Run a mainline DHT node (BEP 5) on the UDP port, for public torrents.</summary>
    public bool Dht { get; init; } = true;

    /// <summary>Nodes to bootstrap the DHT from; null: the routers real clients use (plus the nodes saved last time).</summary>
    public IReadOnlyList<EndPoint>? DhtBootstrap { get; init; }

    /// <summary>Where the DHT keeps its routing table between runs; null: not kept.</summary>
    public string? DhtStateFile { get; init; }

    /// <summary>Map the listen port (TCP and UDP) on the router with PCP/NAT-PMP or UPnP IGD, in the background.</summary>
    public bool PortMapping { get; init; } = true;

    /// <summary>How the port mapper reaches the router (timeouts, lease, which methods).</summary>
    internal Networking.PortMapping.PortMappingOptions PortMappingOptions { get; init; } = new();

    /// <summary>Local Service Discovery (BEP 14): announce public torrents on the LAN's multicast group and dial the peers heard.</summary>
    public bool Lsd { get; init; } = true;

    internal Networking.Lsd.LsdOptions LsdOptions { get; init; } = new();

    /// <summary>
    /// Nothing reaches beyond this machine unless named: no port mapping, no LSD, no DHT default routers or saved DHT
    /// nodes (only --dht-bootstrap nodes). Also switched on by the environment variable <see cref="LocalOnlyVariable"/>=1.
    /// </summary>
    public bool LocalOnly { get; init; }

    public const string LocalOnlyVariable = "P2PSHARE_LOCAL_ONLY";

    /// <summary>Whether <see cref="LocalOnlyVariable"/> is set to 1 (or true) in this process's environment.</summary>
    public static bool LocalOnlyRequestedByEnvironment =>
        Environment.GetEnvironmentVariable(LocalOnlyVariable)?.Trim().ToLowerInvariant() is "1" or "true" or "yes";

    /// <summary>These settings with everything that reaches beyond the machine switched off (see <see cref="LocalOnly"/>).</summary>
    public EngineSettings RestrictedToLocal() => this with
    {
        LocalOnly = true,
        PortMapping = false,
        Lsd = false,
        DhtBootstrap = DhtBootstrap ?? [],
        DhtStateFile = null,
    };

    /// <summary>The routers libtorrent, uTorrent and Transmission bootstrap from.</summary>
    public static IReadOnlyList<EndPoint> DefaultDhtRouters { get; } =
    [
        new DnsEndPoint("router.bittorrent.com", 6881), new DnsEndPoint("router.utorrent.com", 6881),
        new DnsEndPoint("dht.transmissionbt.com", 6881), new DnsEndPoint("dht.libtorrent.org", 25401),
    ];

    /// <summary>
    /// TCP port for peers of the native JSON protocol (docs/hybrid-node.md), offered the data of single-file torrents;
    /// the next free one when taken; 0: any; null: no native listener.
    /// </summary>
    public int? NativePort { get; init; }

    /// <summary>Throws <see cref="ArgumentException"/> naming the first bad value.</summary>
    public EngineSettings Validate()
    {
        Check(Port is >= 0 and <= IPEndPoint.MaxPort, $"port {Port}: must be from 0 to {IPEndPoint.MaxPort}");
        Check(MaxConnections >= 1, $"max connections {MaxConnections}: must be at least 1");
        Check(MaxHalfOpen >= 1, $"max half-open {MaxHalfOpen}: must be at least 1");
        Check(NativePort is null or (>= 0 and <= IPEndPoint.MaxPort), $"native port {NativePort}: must be from 0 to {IPEndPoint.MaxPort}");
        Check(MaxPendingHandshakes >= 1, $"max pending handshakes {MaxPendingHandshakes}: must be at least 1");
        Check(HandshakeTimeout > TimeSpan.Zero, "handshake timeout must be positive");
        InboundAddressLimits.Validate();
        Check(MaxUploadRate >= 0, $"upload rate {MaxUploadRate}: must not be negative");
        Check(MaxDownloadRate >= 0, $"download rate {MaxDownloadRate}: must not be negative");
        Check(DiskQueueBytes >= 1024 * 1024, $"disk queue {DiskQueueBytes} bytes: must be at least 1 MiB");
        Check(Enum.IsDefined(Encryption), $"encryption policy {Encryption}: not one of prefer, require, disable");
        Check(MaxOpenFiles >= 4, $"max open files {MaxOpenFiles}: must be at least 4");
        return this;
    }

    private static void Check(bool ok, string message)
    {
        if (!ok)
            throw new ArgumentException(message);
    }
}
