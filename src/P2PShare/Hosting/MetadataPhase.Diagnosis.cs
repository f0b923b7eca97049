using P2PShare.Engine;
using P2PShare.Engine.Diagnosis;
using P2PShare.Networking.Dht;
using P2PShare.Networking.Trackers;

namespace P2PShare.Hosting;

/// <summary>The metadata phase's diagnosis: why no peer gives us the info dictionary.</summary>
internal sealed partial class MetadataPhase
{
    private readonly RunHistory _history = new(time);
    private volatile MetadataFetcher? _fetcher;
    private volatile TrackerManager? _trackers;
    private volatile DhtPeerFinder? _dhtFinder;
    private volatile DhtNode? _dht;

    /// <summary>Null when no fetch is running (the metadata was read from the state directory, or the fetch ended).</summary>
    public TorrentDiagnosis? Diagnose() =>
        _fetcher is { } fetcher ? RunDiagnosis.Build(DiagnosisPhase.FetchingMetadata, fetcher.DiagnosisFacts(), _trackers, _dht, _dhtFinder, _history, time) : null;

    private string DiagnosisSuffix() => Diagnose() is { } diagnosis ? $"; diagnosis: {diagnosis.OneLine()}" : "";
}
