namespace P2PShare.Protocol.Tracker;

/// <summary>The tracker answered, refusing the request ('failure reason', or a BEP 15 error packet).</summary>
internal sealed class TrackerFailureException(string reason)
    : TrackerException($"tracker refused: {Quote(reason)}")
{
    public string Reason { get; } = Quote(reason);
}
