namespace P2PShare.Engine.Diagnosis;

/// <summary>
/// Everything the analyser looks at: the swarm as the session sees it, the sources of peers (trackers, DHT), and a
/// little history the run keeps (how long it has run, since when nothing arrived, when a seed was last connected).
/// </summary>
internal sealed record DiagnosisSnapshot(
    DiagnosisPhase Phase,
    SwarmFacts Swarm,
    IReadOnlyList<TrackerFact> Trackers,
    DhtFact Dht,
    TimeSpan Running,
    TimeSpan SinceProgress,
    TimeSpan? SinceSeedSeen = null);
