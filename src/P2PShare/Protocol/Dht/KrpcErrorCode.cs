namespace P2PShare.Protocol.Dht;

/// <summary>KRPC error codes (BEP 5).</summary>
internal static class KrpcErrorCode
{
    public const int Generic = 201;
    public const int Server = 202;
    public const int Protocol = 203;
    public const int MethodUnknown = 204;
}
