using P2PShare.Engine;
using P2PShare.Hosting;

namespace P2PShare.Cli.Progress;

/// <summary>Hands every report of a run to several observers (the display, a --json stream, the --on-complete hook).</summary>
internal sealed class TeeObserver(params IRunObserver[] observers) : IRunObserver
{
    public void Message(string text)
    {
        foreach (var o in observers)
            o.Message(text);
    }

    public void Checking(string reason, double fraction)
    {
        foreach (var o in observers)
            o.Checking(reason, fraction);
    }

    public void FetchingMetadata(MetadataFetchProgress progress)
    {
        foreach (var o in observers)
            o.FetchingMetadata(progress);
    }

    public void Progress(RunPhase phase, TorrentProgress progress, int listenPort)
    {
        foreach (var o in observers)
            o.Progress(phase, progress, listenPort);
    }

    public void Peers(IReadOnlyList<PeerInfo> peers)
    {
        foreach (var o in observers)
            o.Peers(peers);
    }

    public void DownloadCompleted(DownloadCompletion completion)
    {
        foreach (var o in observers)
            o.DownloadCompleted(completion);
    }
}
