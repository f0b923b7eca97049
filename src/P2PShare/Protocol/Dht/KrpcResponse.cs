using System.Net;

namespace P2PShare.Protocol.Dht;

/// <summary>
/// A response. KRPC responses do not name their method: the fields present say what it answers (nodes for
/// find_node and get_peers, values and a token for get_peers).
/// </summary>
internal sealed record KrpcResponse(byte[] TransactionId, NodeId SenderId) : KrpcMessage(TransactionId)
{
    public IReadOnlyList<NodeContact> Nodes { get; init; } = [];

    public IReadOnlyList<IPEndPoint> Values { get; init; } = [];

    public byte[]? Token { get; init; }

    /// <summary>BEP 42 "ip": the address the responder saw our query come from.</summary>
    public IPEndPoint? RequesterAddress { get; init; }
}
