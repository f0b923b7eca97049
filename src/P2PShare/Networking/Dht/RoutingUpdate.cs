namespace P2PShare.Networking.Dht;

/// <summary>What <see cref="RoutingTable.Heard"/> did with a node.</summary>
internal enum RoutingUpdate
{
    Added,
    Updated,
    /// <summary>Took the place of a bad node.</summary>
    Replaced,
    /// <summary>Its bucket is full of good or questionable nodes: kept in the bucket's replacement cache.</summary>
    Cached,
    /// <summary>Our own id, or an id/address pair that contradicts a live entry.</summary>
    Rejected,
}
