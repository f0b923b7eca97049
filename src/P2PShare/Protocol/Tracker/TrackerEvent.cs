namespace P2PShare.Protocol.Tracker;

/// <summary>The announce event; the numeric values are the ones BEP 15 puts on the wire.</summary>
internal enum TrackerEvent
{
    None = 0,
    Completed = 1,
    Started = 2,
    Stopped = 3,
}
