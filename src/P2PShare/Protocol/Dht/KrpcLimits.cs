namespace P2PShare.Protocol.Dht;

/// <summary>Bounds on what a KRPC message may carry; larger fields are rejected before anything is built from them.</summary>
internal static class KrpcLimits
{
    /// <summary>KRPC fits one unfragmented UDP datagram; anything larger is not a real node's message.</summary>
    public const int MaxDatagram = 2048;
    public const int MaxTransactionId = 16;
    public const int MaxToken = 64;
    public const int MaxMethodName = 64;
    public const int MaxVersion = 16;
    public const int MaxNodes = 64;
    public const int MaxValues = 200;
    public const int MaxErrorText = 256;
}
