using System.Net;
using P2PShare.Protocol.Dht;

namespace P2PShare.Networking.Dht;

/// <summary>What a node keeps across restarts: its id, the nodes it knew, and its external address if learnt.</summary>
internal sealed record DhtState(NodeId NodeId, IReadOnlyList<NodeContact> Nodes, IPAddress? ExternalAddress);
