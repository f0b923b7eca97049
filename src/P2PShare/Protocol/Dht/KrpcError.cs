namespace P2PShare.Protocol.Dht;

/// <summary>An error message (BEP 5: a list of an integer code and a text).</summary>
internal sealed record KrpcError(byte[] TransactionId, int Code, string Message) : KrpcMessage(TransactionId);
