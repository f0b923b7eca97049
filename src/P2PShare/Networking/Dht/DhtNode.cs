using System.Net;
using Microsoft.Extensions.Logging;
using P2PShare.Metainfo;
using P2PShare.Networking.Udp;
using P2PShare.Protocol.Dht;

namespace P2PShare.Networking.Dht;

/// <summary>
/// A mainline DHT node (BEP 5, IPv4) on the engine's shared UDP port. Register it with
/// <see cref="UdpPort.AddHandler"/>: it takes every datagram that starts with 'd'. Then call
/// <see cref="BootstrapAsync"/> once, keep <see cref="RunAsync"/> running (maintenance), and use
/// <see cref="GetPeersAsync"/> / <see cref="AnnounceAsync"/> per torrent. Thread-safe: state is guarded by one lock,
/// and datagrams are handled on the port's receive loop without blocking.
/// </summary>
internal sealed partial class DhtNode : IDatagramHandler
{
    private const int MaxBootstrapFillLookups = 6;
    private readonly DhtOptions _options;
    private readonly IDatagramSender _sender;
    private readonly TimeProvider _time;
    private readonly Random _random;
    private readonly ILogger _logger;
    private readonly Lock _gate = new();
    private readonly RoutingTable _table;
    private readonly TokenManager _tokens;
    private readonly PeerStore _peers;
    private readonly QueryRateLimiter _limiter;
    private readonly TransactionTable _transactions;
    private readonly List<EndPoint> _bootstrapNodes = [];
    private long _queriesReceived;
    private long _queriesSent;
    private long _dropped;

    public DhtNode(DhtOptions options, IDatagramSender sender, TimeProvider time, Random random, ILogger logger)
        : this(options, sender, time, random, logger, options.StateFilePath is { } path ? DhtStateFile.TryLoad(path) : null)
    {
    }

    /// <param name="saved">The state read back from <see cref="DhtOptions.StateFilePath"/> (null: none usable).</param>
    internal DhtNode(DhtOptions options, IDatagramSender sender, TimeProvider time, Random random, ILogger logger, DhtState? saved)
    {
        _options = options;
        _sender = sender;
        _time = time;
        _random = random;
        _logger = logger;
        ExternalAddress = options.ExternalAddress ?? saved?.ExternalAddress;
        Id = options.NodeId ?? ChooseId(saved, ExternalAddress, random);
        _table = new RoutingTable(Id, options.BucketSize, options.NodeActiveWindow, options.MaxNodeFailures, time);
        _tokens = new TokenManager(options.TokenRotation, time, random);
        _peers = new PeerStore(options.MaxInfoHashes, options.MaxPeersPerInfoHash, options.PeerLifetime, time);
        _limiter = new QueryRateLimiter(options.QueriesPerSecondPerIp, options.QueryBurstPerIp, options.MaxTrackedSources,
            options.GlobalQueriesPerSecond, time);
        _transactions = new TransactionTable(options.MaxPendingQueries, random);
        if (saved is not null && saved.NodeId == Id)
        {
            // Saved nodes come back as questionable: they are asked again at bootstrap before anyone relies on them.
            foreach (var node in saved.Nodes)
                _table.Heard(node, responded: false);
            _logger.LogInformation("DHT: {Count} nodes loaded from {Path}", saved.Nodes.Count, options.StateFilePath);
        }
    }

    /// <summary>Our node id.</summary>
    public NodeId Id { get; }

    /// <summary>Our public address, when configured, learnt from responses' BEP 42 "ip" field, or told by the router.</summary>
    public IPAddress? ExternalAddress { get; private set; }

    /// <summary>
    /// Takes our external address from an authority (the router that mapped our port). It is saved with the routing
    /// table, so the next start chooses a BEP 42 id for it; this run keeps its id (its table is built around it).
    /// </summary>
    public void LearnExternalAddress(IPAddress address, string source)
    {
        lock (_gate)
        {
            if (address.Equals(ExternalAddress))
                return;
            ExternalAddress = address;
        }
        _logger.LogInformation("DHT: our external address is {Address} (from {Source}); the next start's node id follows it", address, source);
    }

    /// <summary>Nodes in the routing table (for the status line).</summary>
    public int NodeCount
    {
        get
        {
            lock (_gate)
                return _table.Count;
        }
    }

    public DhtStatus Status
    {
        get
        {
            lock (_gate)
            {
                return new DhtStatus(Id, _table.Count, _table.CountIn(NodeState.Good), _table.Buckets.Count, _peers.InfoHashCount,
                    _peers.PeerCount, _transactions.Count, Interlocked.Read(ref _queriesReceived), Interlocked.Read(ref _queriesSent),
                    Interlocked.Read(ref _dropped), ExternalAddress);
            }
        }
    }

    /// <summary>
    /// Joins the DHT: asks each bootstrap node (IP or host name; names are resolved here, failures ignored) and the
    /// nodes loaded from the state file for the nodes closest to our id, then looks our id up. Returns the number of
    /// nodes in the routing table. The nodes are remembered: maintenance bootstraps again if the table empties.
    /// </summary>
    public async Task<int> BootstrapAsync(IEnumerable<EndPoint> nodes, CancellationToken cancellationToken)
    {
        var given = nodes.ToList();
        lock (_gate)
        {
            foreach (var node in given)
                if (!_bootstrapNodes.Contains(node))
                    _bootstrapNodes.Add(node);
        }
        var addresses = await ResolveAsync(given, cancellationToken).ConfigureAwait(false);
        var asks = addresses.Select(address => QueryAsync(address, null, FindNodeQuery(Id), cancellationToken));
        await Task.WhenAll(asks).ConfigureAwait(false);
        var result = await LookupAsync(Id, KrpcMethod.FindNode, null, cancellationToken).ConfigureAwait(false);
        // Then fill the buckets that are not full with lookups of random ids in their ranges (as refresh would later).
        List<NodeId> fill;
        lock (_gate)
        {
            fill = _table.Buckets.Take(_table.Buckets.Count - 1).Where(b => b.Nodes.Count < _options.BucketSize)
                .Select(b => _table.RandomIdIn(b, _random)).Take(MaxBootstrapFillLookups).ToList();
        }
        var fills = await Task.WhenAll(fill.Select(target => LookupAsync(target, KrpcMethod.FindNode, null, cancellationToken)))
            .ConfigureAwait(false);
        _logger.LogInformation("DHT bootstrap: {Nodes} nodes in the table after {Queries} queries ({Responses} answers)",
            NodeCount, result.QueriesSent + addresses.Count + fills.Sum(f => f.QueriesSent), result.Responses + fills.Sum(f => f.Responses));
        return NodeCount;
    }

    /// <summary>
    /// Adds a node heard of elsewhere (a peer's BEP 5 PORT message, a saved node) by pinging it; it enters the
    /// routing table if it answers. Returns whether it answered.
    /// </summary>
    public async Task<bool> AddNodeAsync(IPEndPoint node, CancellationToken cancellationToken) =>
        await QueryAsync(node, null, PingQuery(), cancellationToken).ConfigureAwait(false) is not null;

    /// <summary>Iterative find_node for <paramref name="target"/>: the K closest live nodes.</summary>
    public Task<DhtLookupResult> FindNodeAsync(NodeId target, CancellationToken cancellationToken) =>
        LookupAsync(target, KrpcMethod.FindNode, null, cancellationToken);

    /// <summary>
    /// Iterative get_peers for <paramref name="infoHash"/>. <paramref name="onPeer"/>, if given, sees each new peer as
    /// soon as a node returns it (on a thread-pool thread; do not block). The lookup is bounded by
    /// <see cref="DhtOptions.MaxLookupQueries"/> and <see cref="DhtOptions.LookupTimeout"/>.
    /// </summary>
    public Task<DhtLookupResult> GetPeersAsync(InfoHash infoHash, Action<IPEndPoint>? onPeer, CancellationToken cancellationToken) =>
        LookupAsync(new NodeId(infoHash.Span), KrpcMethod.GetPeers, onPeer, cancellationToken);

    /// <summary>Iterative get_peers for <paramref name="infoHash"/>, returning the peers found.</summary>
    public async Task<IReadOnlyList<IPEndPoint>> GetPeersAsync(InfoHash infoHash, CancellationToken cancellationToken) =>
        (await GetPeersAsync(infoHash, null, cancellationToken).ConfigureAwait(false)).Peers;

    /// <summary>
    /// Announces that we have <paramref name="infoHash"/> on TCP <paramref name="port"/> (with
    /// <paramref name="impliedPort"/>, the port our UDP queries come from instead): a get_peers lookup, then
    /// announce_peer to the closest nodes that gave a token. Also returns the peers the lookup found.
    /// Re-announce every 15 to 30 minutes: nodes forget peers after 30.
    /// </summary>
    public async Task<DhtAnnounceResult> AnnounceAsync(InfoHash infoHash, int port, CancellationToken cancellationToken, bool impliedPort = false)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(port);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(port, ushort.MaxValue);
        var target = new NodeId(infoHash.Span);
        var lookup = await LookupAsync(target, KrpcMethod.GetPeers, null, cancellationToken).ConfigureAwait(false);
        var announces = lookup.Closest.Where(lookup.Tokens.ContainsKey).Select(node =>
            QueryAsync(node.EndPoint, node.Id, tid => new KrpcQuery(tid, KrpcMethod.AnnouncePeer, Id)
            {
                InfoHash = target,
                Port = port,
                ImpliedPort = impliedPort,
                Token = lookup.Tokens[node],
            }, cancellationToken)).ToList();
        var replies = await Task.WhenAll(announces).ConfigureAwait(false);
        var acknowledged = replies.Count(r => r is not null);
        _logger.LogDebug("DHT announce {InfoHash}:{Port}: {Acknowledged}/{Sent} nodes accepted", infoHash, port, acknowledged, announces.Count);
        return new DhtAnnounceResult(lookup, announces.Count, acknowledged);
    }

    internal async Task<DhtLookupResult> LookupAsync(NodeId target, KrpcMethod method, Action<IPEndPoint>? onPeer,
        CancellationToken cancellationToken)
    {
        List<NodeContact> seeds;
        lock (_gate)
        {
            seeds = _table.Closest(target, _options.BucketSize * 2);
            _table.MarkRefreshed(target);
        }
        var lookup = new DhtLookup(target, seeds, (node, ct) => QueryAsync(node.EndPoint, node.Id,
                method == KrpcMethod.GetPeers
                    ? tid => new KrpcQuery(tid, KrpcMethod.GetPeers, Id) { InfoHash = target }
                    : FindNodeQuery(target), ct),
            _options.BucketSize, _options.Alpha, _options.MaxLookupQueries, onPeer);
        return await lookup.RunAsync(_options.LookupTimeout, _time, cancellationToken).ConfigureAwait(false);
    }

    private Func<byte[], KrpcQuery> FindNodeQuery(NodeId target) => tid => new KrpcQuery(tid, KrpcMethod.FindNode, Id) { Target = target };

    private Func<byte[], KrpcQuery> PingQuery() => tid => new KrpcQuery(tid, KrpcMethod.Ping, Id);

    private static NodeId ChooseId(DhtState? saved, IPAddress? external, Random random)
    {
        if (saved is not null && (external is null || NodeIdFactory.IsValid(saved.NodeId, external)))
            return saved.NodeId;
        return NodeIdFactory.Create(external, random);
    }

    private async Task<List<IPEndPoint>> ResolveAsync(List<EndPoint> nodes, CancellationToken cancellationToken)
    {
        var resolved = await Task.WhenAll(nodes.Select(async node =>
        {
            if (node is IPEndPoint ip)
                return [ip];
            if (node is not DnsEndPoint dns)
                return [];
            try
            {
                using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                timeout.CancelAfter(TimeSpan.FromSeconds(10));
                var addresses = await System.Net.Dns.GetHostAddressesAsync(dns.Host, System.Net.Sockets.AddressFamily.InterNetwork, timeout.Token)
                    .ConfigureAwait(false);
                return addresses.Select(a => new IPEndPoint(a, dns.Port)).ToArray();
            }
            catch (Exception error) when (error is System.Net.Sockets.SocketException or OperationCanceledException && !cancellationToken.IsCancellationRequested)
            {
                _logger.LogDebug("DHT bootstrap node {Host} did not resolve: {Error}", dns.Host, error.Message);
                return [];
            }
        })).ConfigureAwait(false);
        return resolved.SelectMany(a => a).Distinct().ToList();
    }
}
