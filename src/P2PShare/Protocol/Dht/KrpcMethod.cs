namespace P2PShare.Protocol.Dht;

/// <summary>The BEP 5 query methods; anything else decodes as <see cref="Unknown"/> (answered with error 204).</summary>
internal enum KrpcMethod
{
    Unknown,
    Ping,
    FindNode,
    GetPeers,
    AnnouncePeer,
}
