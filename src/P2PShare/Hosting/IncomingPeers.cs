using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using P2PShare.Metainfo;
using P2PShare.Networking.Peers;
using P2PShare.Protocol.Wire;

namespace P2PShare.Hosting;

/// <summary>An accepted socket: its handshake must name our torrent; then the connection goes to whoever runs the torrent now.</summary>
internal static class IncomingPeers
{
    public static async Task AcceptAsync(Socket socket, InfoHash infoHash, Handshake ours, Action<PeerConnection> attach, ILogger logger, CancellationToken cancellationToken)
    {
        try
        {
            var connection = await PeerConnection.AcceptAsync(socket, hash => hash.Equals(infoHash) ? ours : null, TimeSpan.FromSeconds(10), cancellationToken).ConfigureAwait(false);
            attach(connection);
        }
        catch (Exception error) when (error is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            logger.LogDebug("Incoming connection dropped: {Reason}", error.Message);
        }
        catch (OperationCanceledException)
        {
        }
    }
}
