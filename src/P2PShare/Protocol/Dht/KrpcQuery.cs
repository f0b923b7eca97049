namespace P2PShare.Protocol.Dht;

/// <summary>
/// A query. Which optional fields are set depends on the method: <see cref="Target"/> for find_node,
/// <see cref="InfoHash"/> for get_peers and announce_peer, <see cref="Port"/>, <see cref="ImpliedPort"/> and
/// <see cref="Token"/> for announce_peer.
/// </summary>
internal sealed record KrpcQuery(byte[] TransactionId, KrpcMethod Method, NodeId SenderId) : KrpcMessage(TransactionId)
{
    /// <summary>The method name as sent (for unknown methods and logs).</summary>
    public string MethodName { get; init; } = KrpcCodec.MethodName(Method);

    public NodeId? Target { get; init; }

    public NodeId? InfoHash { get; init; }

    public int Port { get; init; }

    /// <summary>BEP 5 implied_port: the peer's port is the UDP source port of the query, not <see cref="Port"/>.</summary>
    public bool ImpliedPort { get; init; }

    public byte[]? Token { get; init; }

    /// <summary>BEP 43 read-only node: it must not be added to routing tables.</summary>
    public bool ReadOnly { get; init; }
}
