namespace P2PShare.Networking.Trackers;

internal enum AnnounceEvent
{
    None,
    Started,
    Completed,
    Stopped,
}
