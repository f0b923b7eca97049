using System.Net;

namespace P2PShare.Networking.Trackers;

/// <summary>A tracker's answer. Seeders/leechers are null when the tracker did not say.</summary>
internal sealed record AnnounceResponse(
    TimeSpan Interval,
    TimeSpan? MinInterval,
    IReadOnlyList<IPEndPoint> Peers,
    int? Seeders,
    int? Leechers,
    string? WarningMessage);
