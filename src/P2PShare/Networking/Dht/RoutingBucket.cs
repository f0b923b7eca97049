namespace P2PShare.Networking.Dht;

/// <summary>
/// A k-bucket. Bucket <see cref="Depth"/> holds nodes whose id shares exactly <see cref="Depth"/> leading bits with
/// ours; the last bucket holds those sharing at least that many (it is the one that holds our id, and the only one
/// that splits).
/// </summary>
internal sealed class RoutingBucket(int depth, DateTimeOffset now)
{
    public int Depth { get; } = depth;

    public List<RoutingEntry> Nodes { get; } = [];

    /// <summary>Nodes heard while the bucket was full, most recent last: they replace bad nodes.</summary>
    public List<RoutingEntry> Replacements { get; } = [];

    public DateTimeOffset LastChanged { get; set; } = now;
}
