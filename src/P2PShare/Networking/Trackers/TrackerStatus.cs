namespace P2PShare.Networking.Trackers;

/// <summary>A snapshot of one tracker as the manager sees it.</summary>
internal sealed record TrackerStatus(
    string Url,
    int Tier,
    DateTimeOffset? LastAnnounce,
    bool LastAnnounceSucceeded,
    string? LastError,
    string? WarningMessage,
    DateTimeOffset? NextAnnounce,
    int? Seeders,
    int? Leechers,
    int? LastPeerCount)
{
    public static TrackerStatus Initial(string url, int tier) => new(url, tier, null, false, null, null, null, null, null, null);
}
