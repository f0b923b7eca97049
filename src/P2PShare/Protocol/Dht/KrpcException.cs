namespace P2PShare.Protocol.Dht;

/// <summary>
/// A KRPC message that cannot be accepted. <see cref="Code"/> is the BEP 5 error code to answer with; the
/// transaction id is set when the message had a usable one (so a query can still be answered with an error).
/// </summary>
internal sealed class KrpcException(int code, string problem, byte[]? transactionId = null)
    : FormatException($"invalid KRPC message ({code}): {problem}")
{
    public int Code { get; } = code;

    public string Problem { get; } = problem;

    public byte[]? TransactionId { get; internal set; } = transactionId;

    /// <summary>True when the bad message was a query (only queries are answered with errors).</summary>
    public bool WasQuery { get; internal set; }
}
