using System.Net;
using System.Net.Sockets;

namespace P2PShare.Networking.Peers;

/// <summary>Plain TCP: a connected socket with Nagle off (requests and small messages must not wait).</summary>
internal sealed class TcpPeerTransport : IPeerTransport
{
    public static TcpPeerTransport Instance { get; } = new();

    public string Name => "tcp";

    public async ValueTask<Stream> ConnectAsync(IPEndPoint endPoint, CancellationToken cancellationToken)
    {
        var socket = new Socket(endPoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(endPoint, cancellationToken).ConfigureAwait(false);
            return new NetworkStream(socket, ownsSocket: true);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }
}
