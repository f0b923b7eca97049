using System.Net;

namespace P2PShare.Networking.Lsd;

/// <summary>Local Service Discovery (BEP 14) tunables; the defaults follow the BEP and libtorrent.</summary>
internal sealed record LsdOptions
{
    /// <summary>Each torrent is announced this often.</summary>
    public TimeSpan AnnounceInterval { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>BEP 14: no torrent is announced more than once a minute.</summary>
    public TimeSpan MinAnnounceGap { get; init; } = TimeSpan.FromMinutes(1);

    /// <summary>Datagrams read per second at most; the rest are dropped unread (a flood costs nothing).</summary>
    public int MaxDatagramsPerSecond { get; init; } = 50;

    /// <summary>The same peer for the same torrent is passed on at most this often.</summary>
    public TimeSpan PeerRepeatGap { get; init; } = TimeSpan.FromMinutes(1);

    /// <summary>Torrents announced at most (one datagram each per interval).</summary>
    public int MaxTorrents { get; init; } = 1000;

    /// <summary>Also use the IPv6 group [ff15::efc0:988f]:6771 (when the host has IPv6).</summary>
    public bool IPv6 { get; init; } = true;

    /// <summary>The interface address to join the group on and send from; Any: the kernel's choice (the multicast route).</summary>
    public IPAddress InterfaceAddress { get; init; } = IPAddress.Any;
}
