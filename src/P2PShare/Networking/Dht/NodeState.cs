namespace P2PShare.Networking.Dht;

/// <summary>BEP 5 node states.</summary>
internal enum NodeState
{
    /// <summary>Answered a query within the active window, or queried us within it having answered before.</summary>
    Good,

    /// <summary>Quiet for longer than the active window (or never answered yet): worth a ping.</summary>
    Questionable,

    /// <summary>Failed to answer several queries in a row: replaced when a better node comes along.</summary>
    Bad,
}
