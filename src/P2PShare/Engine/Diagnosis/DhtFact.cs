namespace P2PShare.Engine.Diagnosis;

/// <summary>
/// The torrent's use of the DHT. <paramref name="Enabled"/> is false when the engine has no DHT or the torrent is
/// private; <paramref name="Lookups"/> counts finished get_peers lookups, <paramref name="PeersFound"/> the addresses
/// they gave (with repeats).
/// </summary>
internal sealed record DhtFact(bool Enabled, int Nodes, int Lookups, int PeersFound)
{
    public static DhtFact Off { get; } = new(false, 0, 0, 0);
}
