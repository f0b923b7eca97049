using P2PShare.Metainfo;
using P2PShare.Protocol.Tracker;

namespace P2PShare.Networking.Trackers;

/// <summary>What the engine tells a tracker. The peer id is 20 bytes.</summary>
internal sealed record AnnounceRequest(
    InfoHash InfoHash,
    ReadOnlyMemory<byte> PeerId,
    int Port,
    long Uploaded,
    long Downloaded,
    long Left,
    AnnounceEvent Event,
    int NumWant = 200)
{
    internal AnnounceParameters ToParameters(uint key, string? trackerId) =>
        new(InfoHash, PeerId, Port, Uploaded, Downloaded, Left, ToTrackerEvent(Event), NumWant, key, trackerId);

    internal static TrackerEvent ToTrackerEvent(AnnounceEvent announceEvent) => announceEvent switch
    {
        AnnounceEvent.Started => TrackerEvent.Started,
        AnnounceEvent.Completed => TrackerEvent.Completed,
        AnnounceEvent.Stopped => TrackerEvent.Stopped,
        _ => TrackerEvent.None,
    };
}
