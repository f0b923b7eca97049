namespace P2PShare.Protocol.Dht;

/// <summary>A decoded KRPC message (BEP 5): a query, a response or an error, matched by transaction id.</summary>
internal abstract record KrpcMessage(byte[] TransactionId)
{
    /// <summary>The sender's client version ("v"), when given (at most a few bytes, kept for display).</summary>
    public byte[]? Version { get; init; }
}
