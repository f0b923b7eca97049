using P2PShare.Cli.Daemon;
using P2PShare.Hosting;

namespace P2PShare.Cli.Rpc;

/// <summary>Transmission's numbers for a torrent's status and error.</summary>
internal static class TransmissionStatus
{
    public const int Stopped = 0;
    public const int CheckWait = 1;
    public const int Checking = 2;
    public const int DownloadWait = 3;
    public const int Downloading = 4;
    public const int SeedWait = 5;
    public const int Seeding = 6;

    /// <summary>error: 0 none, 3 local error (ours are all local: disk, bad data, no peers).</summary>
    public const int LocalError = 3;

    public static int Of(DaemonTorrent torrent)
    {
        if (torrent.IsRunning)
        {
            return torrent.Managed.Runner?.State switch
            {
                TorrentState.Checking => Checking,
                TorrentState.Seeding => Seeding,
                TorrentState.Queued or TorrentState.FetchingMetadata or TorrentState.Downloading => Downloading,
                _ => Stopped,
            };
        }
        if (torrent.Queued && !torrent.Entry.Stopped)
            return torrent.IsComplete ? SeedWait : DownloadWait;
        return Stopped;
    }

    public static string Name(int status) => status switch
    {
        CheckWait => "check-wait",
        Checking => "checking",
        DownloadWait => "download-wait",
        Downloading => "downloading",
        SeedWait => "seed-wait",
        Seeding => "seeding",
        _ => "stopped",
    };
}
