using System.Net;
using P2PShare.Protocol.Dht;

namespace P2PShare.Networking.Dht;

/// <summary>A snapshot of a <see cref="DhtNode"/> for display ("DHT: 143 nodes").</summary>
internal sealed record DhtStatus(
    NodeId NodeId,
    int Nodes,
    int GoodNodes,
    int Buckets,
    int StoredInfoHashes,
    int StoredPeers,
    int PendingQueries,
    long QueriesReceived,
    long QueriesSent,
    long Dropped,
    IPAddress? ExternalAddress);
