using P2PShare.Metainfo;

namespace P2PShare.Networking.Trackers;

/// <summary>
/// One tracker. Failures are <see cref="Protocol.Tracker.TrackerException"/>s: a refusal
/// (<see cref="Protocol.Tracker.TrackerFailureException"/>), an unreadable answer
/// (<see cref="Protocol.Tracker.TrackerProtocolException"/>) or no answer (<see cref="TrackerUnreachableException"/>).
/// </summary>
internal interface ITrackerClient
{
    Uri Uri { get; }

    Task<AnnounceResponse> AnnounceAsync(AnnounceRequest request, CancellationToken ct);

    Task<ScrapeResponse> ScrapeAsync(InfoHash infoHash, CancellationToken ct);
}
