using System.Net;

namespace P2PShare.Protocol.Dht;

/// <summary>A DHT node as other nodes describe it: its id and its UDP address (BEP 5 "compact node info").</summary>
internal sealed record NodeContact(NodeId Id, IPEndPoint EndPoint)
{
    public override string ToString() => $"{Id.ToString()[..8]}@{EndPoint}";
}
