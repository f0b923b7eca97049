using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using P2PShare.Protocol.PortMapping;

namespace P2PShare.Networking.PortMapping;

/// <summary>
/// Finds Internet Gateway Devices: an M-SEARCH to the SSDP group (sent twice, UDP being lossy), then the answers
/// collected for a fixed time; at most <see cref="PortMappingOptions.MaxSsdpAnswers"/> distinct locations are kept and
/// answers that do not parse are skipped.
/// </summary>
internal static class SsdpSearch
{
    public static async Task<IReadOnlyList<SsdpResponse>> FindGatewaysAsync(IPAddress localAddress, PortMappingOptions options, ILogger logger,
        CancellationToken cancellationToken)
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        socket.Bind(new IPEndPoint(localAddress, 0));
        if (!IPAddress.Any.Equals(localAddress))
            socket.SetSocketOption(SocketOptionLevel.IP, SocketOptionName.MulticastInterface, localAddress.GetAddressBytes());
        socket.SetSocketOption(SocketOptionLevel.IP, SocketOptionName.MulticastTimeToLive, 2);
        var search = SsdpMessage.BuildSearch(maxWaitSeconds: Math.Clamp((int)options.SearchTime.TotalSeconds, 1, 5));
        var found = new List<SsdpResponse>();
        using var window = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        window.CancelAfter(options.SearchTime);
        var buffer = new byte[SsdpMessage.MaxResponseBytes + 1];
        try
        {
            for (var i = 0; i < 2; i++)
                await socket.SendToAsync(search, SocketFlags.None, options.SsdpEndPoint, window.Token).ConfigureAwait(false);
            while (found.Count < options.MaxSsdpAnswers)
            {
                var result = await socket.ReceiveFromAsync(buffer, SocketFlags.None, new IPEndPoint(IPAddress.Any, 0), window.Token).ConfigureAwait(false);
                try
                {
                    var answer = SsdpMessage.ParseResponse(buffer.AsSpan(0, result.ReceivedBytes));
                    if (found.All(f => f.Location != answer.Location))
                        found.Add(answer);
                }
                catch (PortMappingProtocolException error)
                {
                    logger.LogDebug("SSDP answer from {From} ignored: {Reason}", result.RemoteEndPoint, error.Message);
                }
            }
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            // The search window closed.
        }
        catch (SocketException error)
        {
            logger.LogDebug("SSDP search failed: {Reason}", error.Message);
        }
        return found;
    }
}
