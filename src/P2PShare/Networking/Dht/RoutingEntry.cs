using P2PShare.Protocol.Dht;

namespace P2PShare.Networking.Dht;

/// <summary>One node in the routing table with what we know of its liveness.</summary>
internal sealed class RoutingEntry(NodeContact contact, DateTimeOffset now)
{
    public NodeContact Contact { get; set; } = contact;

    public NodeId Id => Contact.Id;

    public DateTimeOffset Added { get; } = now;

    public DateTimeOffset? LastResponse { get; set; }

    public DateTimeOffset? LastQueryFrom { get; set; }

    public DateTimeOffset? LastPing { get; set; }

    public int Failures { get; set; }

    public NodeState State(DateTimeOffset now, TimeSpan activeWindow, int maxFailures)
    {
        if (Failures >= maxFailures)
            return NodeState.Bad;
        if (LastResponse is { } response && now - response <= activeWindow)
            return NodeState.Good;
        if (LastResponse is not null && LastQueryFrom is { } query && now - query <= activeWindow)
            return NodeState.Good;
        return NodeState.Questionable;
    }
}
