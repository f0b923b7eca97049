using P2PShare.Networking;
using P2PShare.Networking.Peers;

namespace P2PShare.Engine;

/// <summary>
/// What a torrent takes from the engine: the connection budget, the engine-wide rate limits (parents of the
/// torrent's own), and the transport peers are dialled over.
/// </summary>
public sealed record SharedResources(ConnectionBudget Connections, TokenBucket Upload, TokenBucket Download, IPeerTransport Transport)
{
    /// <summary>No engine around (a torrent alone, in tests): no shared limits, TCP.</summary>
    public static SharedResources Standalone(TimeProvider time) =>
        new(ConnectionBudget.Unlimited(), new TokenBucket(0, time), new TokenBucket(0, time), TcpPeerTransport.Instance);
}
