using System.Net;
using P2PShare.Networking.Utp;

namespace P2PShare.Networking.Peers;

/// <summary>uTP (BEP 29) only: a connection from the engine's <see cref="UtpSocketManager"/> on the shared UDP port.</summary>
internal sealed class UtpPeerTransport(UtpSocketManager manager) : IPeerTransport
{
    public const string TransportName = "utp";

    public string Name => TransportName;

    public async ValueTask<Stream> ConnectAsync(IPEndPoint endPoint, CancellationToken cancellationToken) =>
        await manager.ConnectAsync(endPoint, cancellationToken).ConfigureAwait(false);
}
