using P2PShare.Engine;
using P2PShare.Engine.Diagnosis;
using P2PShare.Networking.Dht;
using P2PShare.Networking.Trackers;

namespace P2PShare.Hosting;

/// <summary>Puts a run's parts together into a <see cref="DiagnosisSnapshot"/> and analyses it.</summary>
internal static class RunDiagnosis
{
    public static TorrentDiagnosis Build(DiagnosisPhase phase, SwarmFacts swarm, TrackerManager? trackers, DhtNode? dht, DhtPeerFinder? finder,
        RunHistory history, TimeProvider time) =>
        DiagnosisAnalyzer.Analyze(new DiagnosisSnapshot(phase, swarm, Trackers(trackers), Dht(dht, finder), history.Running(time), history.SinceProgress(time),
            history.SinceSeedSeen(time)), time);

    public static IReadOnlyList<TrackerFact> Trackers(TrackerManager? trackers) =>
        trackers is null ? [] : [.. trackers.Status.Select(s => new TrackerFact(s.Url, s.LastAnnounce is not null || s.LastError is not null,
            s.LastAnnounceSucceeded, s.LastError, s.LastPeerCount))];

    public static DhtFact Dht(DhtNode? dht, DhtPeerFinder? finder) =>
        dht is null || finder is null ? DhtFact.Off : new DhtFact(true, dht.NodeCount, finder.Lookups, finder.PeersFound);
}
