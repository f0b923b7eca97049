using P2PShare.Engine;
using P2PShare.Engine.Diagnosis;
using P2PShare.Networking.Dht;
using P2PShare.Networking.Trackers;

namespace P2PShare.Hosting;

/// <summary>The run's diagnosis: why the torrent is slow or stuck, from what the run's parts hold now.</summary>
internal sealed partial class TorrentRunner
{
    private volatile TrackerManager? _trackers;
    private volatile DhtPeerFinder? _dhtFinder;
    private volatile DhtNode? _dht;
    private volatile MetadataPhase? _metadataPhase;
    private volatile RunHistory? _history;

    /// <summary>
    /// Why the torrent is where it is (findings with their evidence, most severe first); null before the metadata phase
    /// or the data phase started (queued, checking). Cheap enough to call every second; safe from any thread.
    /// </summary>
    public TorrentDiagnosis? Diagnose()
    {
        var history = _history;
        if (_session is { } session && history is not null)
        {
            var phase = State == TorrentState.Seeding || session.Completed.IsCompleted ? DiagnosisPhase.Seeding : DiagnosisPhase.Downloading;
            return RunDiagnosis.Build(phase, session.DiagnosisFacts(), _trackers, _dht, _dhtFinder, history, time);
        }
        return _metadataPhase?.Diagnose();
    }

    /// <summary>Each tracker as the run's manager sees it now; empty before the data phase (or without trackers).</summary>
    public IReadOnlyList<TrackerStatus> TrackerStatuses() => _trackers?.Status ?? [];

    /// <summary>Gives up (with the diagnosis in the message) when nothing arrived for <see cref="TorrentRunOptions.GiveUpWithoutProgress"/>.</summary>
    private void CheckProgress(RunHistory history, TorrentProgress progress)
    {
        history.Observe(progress);
        if (progress.IsComplete || options.GiveUpWithoutProgress is not { } limit || history.SinceProgress(time) <= limit)
            return;
        throw new TimeoutException($"no progress for {limit.TotalSeconds:0} s: {Diagnose()?.OneLine() ?? "no diagnosis"}");
    }

    private string DiagnosisSuffix() => Diagnose() is { } diagnosis ? $"; diagnosis: {diagnosis.OneLine()}" : "";
}
