using P2PShare.Cli.Daemon;
using P2PShare.Engine;
using P2PShare.Metainfo;

namespace P2PShare.Cli.Rpc;

/// <summary>One torrent as torrent-get sees it during one request: the values several fields share, read once.</summary>
internal sealed class TorrentView
{
    private IReadOnlyList<PeerInfo>? _peers;

    public TorrentView(DaemonTorrent torrent, DateTimeOffset now)
    {
        Torrent = torrent;
        Now = now;
        Metainfo = torrent.Metainfo;
        Running = torrent.IsRunning;
        Progress = torrent.Progress;
        Status = TransmissionStatus.Of(torrent);
        TotalSize = Metainfo?.TotalLength ?? 0;
        HaveValid = Progress?.VerifiedBytes ?? (long)(torrent.Entry.PercentDone * TotalSize);
        RateDownload = Running && Progress is { } p ? (long)p.DownloadRate : 0;
        RateUpload = Running && Progress is { } q ? (long)q.UploadRate : 0;
        ErrorString = torrent.Managed.Error;
    }

    public DaemonTorrent Torrent { get; }

    public DateTimeOffset Now { get; }

    public Torrent? Metainfo { get; }

    public bool Running { get; }

    public TorrentProgress? Progress { get; }

    public int Status { get; }

    public long TotalSize { get; }

    public long HaveValid { get; }

    public long LeftUntilDone => Math.Max(0, TotalSize - HaveValid);

    public long RateDownload { get; }

    public long RateUpload { get; }

    public string? ErrorString { get; }

    public int PeersConnected => Running ? Progress?.Peers ?? 0 : 0;

    /// <summary>Fraction of the wanted data we have; a magnet without metadata has 0.</summary>
    public double PercentDone => Metainfo is null ? 0 : TotalSize == 0 ? 1 : (double)HaveValid / TotalSize;

    public bool IsFinished => Torrent.Entry.Stopped && Torrent.Managed.Runner?.State == Hosting.TorrentState.Stopped;

    /// <summary>Seconds to completion: -1 not available (not downloading), -2 unknown (no rate yet).</summary>
    public long Eta => Status != TransmissionStatus.Downloading || Metainfo is null ? -1 : LeftUntilDone == 0 ? 0 : RateDownload <= 0 ? -2 : LeftUntilDone / RateDownload;

    public double UploadRatio
    {
        get
        {
            var downloaded = Torrent.DownloadedEver;
            var uploaded = Torrent.UploadedEver;
            // Transmission: -1 not available (nothing transferred), -2 infinite (uploaded without downloading).
            if (downloaded == 0)
                return uploaded == 0 ? -1 : -2;
            return Math.Round((double)uploaded / downloaded, 4);
        }
    }

    public IReadOnlyList<PeerInfo> Peers => _peers ??= Running ? Torrent.Managed.Runner?.PeerList() ?? [] : [];

    public int PeersSendingToUs => Peers.Count(p => p.DownloadRate > 0);

    public int PeersGettingFromUs => Peers.Count(p => p.UploadRate > 0);
}
