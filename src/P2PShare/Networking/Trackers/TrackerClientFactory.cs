using Microsoft.Extensions.Logging;

namespace P2PShare.Networking.Trackers;

/// <summary>Makes the client for a tracker URL, or null when the scheme is not one we speak.</summary>
internal static class TrackerClientFactory
{
    public static ITrackerClient? TryCreate(Uri uri, HttpClient http, TrackerOptions options, uint key, TimeProvider time, ILogger logger, UdpTrackerSocket? udp = null) =>
        uri.Scheme switch
        {
            "http" or "https" => new HttpTrackerClient(uri, http, options, key),
            "udp" when uri.Port > 0 => new UdpTrackerClient(uri, options, key, time, logger, udp),
            _ => null,
        };

    public static bool IsSupported(Uri uri) => uri.Scheme is "http" or "https" || (uri.Scheme == "udp" && uri.Port > 0);
}
