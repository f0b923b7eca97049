using P2PShare.Engine;

namespace P2PShare.Hosting;

/// <summary>What a front end (the console progress display) is told about a run.</summary>
internal interface IRunObserver
{
    void Message(string text);

    void Checking(string reason, double fraction);

    /// <summary>A magnet link's metadata phase, about once a second.</summary>
    void FetchingMetadata(MetadataFetchProgress progress)
    {
    }

    void Progress(RunPhase phase, TorrentProgress progress, int listenPort);

    /// <summary>The data became complete and verified in this run (once per run; not for data complete at start).</summary>
    void DownloadCompleted(DownloadCompletion completion)
    {
    }

    /// <summary>The connected peers, when the user asked to see them.</summary>
    void Peers(IReadOnlyList<PeerInfo> peers);
}
