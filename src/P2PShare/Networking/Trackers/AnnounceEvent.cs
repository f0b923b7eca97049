namespace P2PShare.Networking.Trackers;

public enum AnnounceEvent
{
    None,
    Started,
    Completed,
    Stopped,
}
