using System.Net;
using P2PShare.Protocol.Dht;

namespace P2PShare.Networking.Dht;

/// <summary>One query of a lookup, for diagnostics ("nodes asked, replies"): who, at which hop, what came back.</summary>
internal sealed record DhtLookupStep(NodeContact Node, int Hop, bool Responded, int NodesReturned, int PeersReturned);

/// <summary>
/// What an iterative lookup found: the closest nodes that answered (at most K, closest first), the peers
/// (get_peers), and figures: queries sent, answers, hops (query rounds needed to reach the closest node).
/// </summary>
internal sealed record DhtLookupResult(
    NodeId Target,
    IReadOnlyList<NodeContact> Closest,
    IReadOnlyList<IPEndPoint> Peers,
    int QueriesSent,
    int Responses,
    int Hops,
    TimeSpan Elapsed,
    IReadOnlyList<DhtLookupStep> Steps)
{
    /// <summary>get_peers tokens of the responders in <see cref="Closest"/> (announce_peer needs them).</summary>
    internal IReadOnlyDictionary<NodeContact, byte[]> Tokens { get; init; } = new Dictionary<NodeContact, byte[]>();
}
