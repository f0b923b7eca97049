using System.Net;

namespace P2PShare.Protocol.Tracker;

/// <summary>A decoded announce answer (HTTP or UDP). Absent optional fields are null.</summary>
internal sealed record TrackerAnnounceReply(
    int? IntervalSeconds,
    int? MinIntervalSeconds,
    IReadOnlyList<IPEndPoint> Peers,
    int? Complete,
    int? Incomplete,
    string? WarningMessage,
    string? TrackerId);
