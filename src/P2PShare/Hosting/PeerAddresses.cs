using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;

namespace P2PShare.Hosting;

/// <summary>HOST:PORT texts (a magnet link's x.pe) as addresses; one that does not resolve is logged and skipped.</summary>
internal static class PeerAddresses
{
    public static async Task<List<IPEndPoint>> ResolveAsync(IEnumerable<string> texts, ILogger logger, CancellationToken cancellationToken)
    {
        var endPoints = new List<IPEndPoint>();
        foreach (var text in texts)
        {
            if (IPEndPoint.TryParse(text, out var endPoint) && endPoint.Port > 0)
            {
                endPoints.Add(endPoint);
                continue;
            }
            var colon = text.LastIndexOf(':');
            if (colon > 0 && int.TryParse(text[(colon + 1)..], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var port)
                && port is > 0 and <= IPEndPoint.MaxPort)
            {
                try
                {
                    var addresses = await Dns.GetHostAddressesAsync(text[..colon], cancellationToken).ConfigureAwait(false);
                    if (addresses.Length > 0)
                    {
                        endPoints.Add(new IPEndPoint(addresses[0], port));
                        continue;
                    }
                }
                catch (SocketException error)
                {
                    logger.LogWarning("Peer address {Peer} does not resolve: {Reason}", text, error.Message);
                    continue;
                }
            }
            logger.LogWarning("Peer address {Peer} is not HOST:PORT; skipped", text);
        }
        return endPoints;
    }
}
