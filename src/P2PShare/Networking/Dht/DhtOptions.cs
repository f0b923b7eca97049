using System.Net;
using P2PShare.Protocol.Dht;

namespace P2PShare.Networking.Dht;

/// <summary>Settings of a <see cref="DhtNode"/>. Defaults follow BEP 5 and what libtorrent does.</summary>
internal sealed record DhtOptions
{
    /// <summary>Our node id; null derives one (BEP 42 from <see cref="ExternalAddress"/> when it is public, else random).</summary>
    public NodeId? NodeId { get; init; }

    /// <summary>Our public IPv4 address when known (BEP 42 ids); learnt from responses' "ip" otherwise.</summary>
    public IPAddress? ExternalAddress { get; init; }

    /// <summary>K: nodes per bucket, and how many closest nodes a lookup converges on.</summary>
    public int BucketSize { get; init; } = 8;

    /// <summary>α: queries a lookup keeps in flight.</summary>
    public int Alpha { get; init; } = 3;

    public TimeSpan QueryTimeout { get; init; } = TimeSpan.FromSeconds(3);

    /// <summary>A lookup stops after this long and returns what it found.</summary>
    public TimeSpan LookupTimeout { get; init; } = TimeSpan.FromSeconds(20);

    /// <summary>A lookup sends at most this many queries.</summary>
    public int MaxLookupQueries { get; init; } = 120;

    /// <summary>Outstanding queries of the whole node (the transaction table's size).</summary>
    public int MaxPendingQueries { get; init; } = 512;

    /// <summary>BEP 5: a node is good while it answered (or queried us, having answered before) within this window.</summary>
    public TimeSpan NodeActiveWindow { get; init; } = TimeSpan.FromMinutes(15);

    /// <summary>Unanswered queries in a row after which a node is bad.</summary>
    public int MaxNodeFailures { get; init; } = 2;

    /// <summary>A bucket unchanged for this long is refreshed with a lookup of a random id in its range.</summary>
    public TimeSpan BucketRefreshInterval { get; init; } = TimeSpan.FromMinutes(15);

    /// <summary>How often <see cref="DhtNode.RunAsync"/> expires peers, pings questionable nodes and refreshes buckets.</summary>
    public TimeSpan MaintenanceInterval { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>The token secret changes this often; a token is accepted for two periods.</summary>
    public TimeSpan TokenRotation { get; init; } = TimeSpan.FromMinutes(5);

    public int MaxInfoHashes { get; init; } = 2000;

    public int MaxPeersPerInfoHash { get; init; } = 200;

    /// <summary>An announced peer is forgotten after this long unless it announces again.</summary>
    public TimeSpan PeerLifetime { get; init; } = TimeSpan.FromMinutes(30);

    /// <summary>Peers returned in one get_peers response (they must fit one datagram).</summary>
    public int MaxValuesPerResponse { get; init; } = 50;

    /// <summary>Sustained queries per second accepted from one IP address; more are dropped.</summary>
    public double QueriesPerSecondPerIp { get; init; } = 20;

    public int QueryBurstPerIp { get; init; } = 40;

    /// <summary>Source addresses the per-IP limiter remembers; new sources beyond it are dropped until old ones are idle.</summary>
    public int MaxTrackedSources { get; init; } = 4096;

    /// <summary>Incoming queries per second answered by the whole node.</summary>
    public double GlobalQueriesPerSecond { get; init; } = 1000;

    /// <summary>The routing table file (id and good nodes), read at construction and written by <see cref="DhtNode.RunAsync"/>.</summary>
    public string? StateFilePath { get; init; }

    public TimeSpan StateSaveInterval { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>Nodes written to the state file.</summary>
    public int MaxSavedNodes { get; init; } = 200;
}
