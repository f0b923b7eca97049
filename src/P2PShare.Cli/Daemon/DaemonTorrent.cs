using P2PShare.Engine;
using P2PShare.Hosting;
using P2PShare.Metainfo;

namespace P2PShare.Cli.Daemon;

/// <summary>
/// One torrent of the daemon: its persisted entry, its place in the <see cref="TorrentHost"/>, and what the RPC shows
/// between runs (totals of earlier runs, the last progress seen).
/// </summary>
internal sealed class DaemonTorrent(CatalogEntry entry, ManagedTorrent managed, Torrent? metainfo, MagnetLink? magnet, DaemonObserver observer)
{
    private volatile CatalogEntry _entry = entry;
    private volatile Torrent? _metainfo = metainfo;
    private volatile TorrentProgress? _lastProgress;
    private TorrentRunner? _runnerSeen;

    public int Id => managed.Id;

    public ManagedTorrent Managed => managed;

    public MagnetLink? Magnet => magnet;

    public DaemonObserver Observer => observer;

    public CatalogEntry Entry
    {
        get => _entry;
        set => _entry = value;
    }

    /// <summary>The metainfo: from the .torrent, or once a magnet's metadata is known.</summary>
    public Torrent? Metainfo => _metainfo ?? managed.Runner?.Torrent;

    public string HashString => _entry.InfoHash;

    public string Name => Metainfo?.Name ?? magnet?.DisplayName ?? _entry.InfoHash;

    /// <summary>Held back by the queue (wants to run, not allowed yet).</summary>
    public volatile bool Queued;

    /// <summary>A verify of a stopped torrent: stop again once the check is done.</summary>
    public volatile bool StopAfterCheck;

    /// <summary>Bypasses the queue (torrent-start-now).</summary>
    public volatile bool ForceStart;

    /// <summary>Payload totals of runs that have ended (this daemon process).</summary>
    public long UploadedBefore;

    public long DownloadedBefore;

    public long CorruptEver;

    public DateTimeOffset? StartDate;

    public DateTimeOffset LastActivity;

    public bool IsRunning => managed.Run is { IsCompleted: false };

    /// <summary>The live progress of a running data phase, else the last one seen.</summary>
    public TorrentProgress? Progress => managed.Runner?.Progress() ?? _lastProgress;

    public double PercentDone => Progress is { } p ? p.Fraction : _entry.PercentDone;

    public bool IsComplete => Progress is { } p ? p.IsComplete : _entry.PercentDone >= 1.0;

    public long UploadedEver => _entry_uploaded + UploadedBefore + (CurrentRun?.UploadedPayload ?? 0);

    public long DownloadedEver => _entry_downloaded + DownloadedBefore + (CurrentRun?.DownloadedPayload ?? 0);

    // Totals saved in torrents.json by earlier daemon processes.
    private long _entry_uploaded => _entry.UploadedEver;

    private long _entry_downloaded => _entry.DownloadedEver;

    private TorrentProgress? CurrentRun => managed.Runner is { } runner && ReferenceEquals(runner, _runnerSeen) ? _lastProgress : null;

    /// <summary>The entry as torrents.json keeps it: with the payload totals so far and the last known progress.</summary>
    public CatalogEntry ToSaved() => _entry with { UploadedEver = UploadedEver, DownloadedEver = DownloadedEver, PercentDone = PercentDone };

    /// <summary>Called once a second: remembers the progress, and folds a finished run's totals in when a new run starts.</summary>
    public void Observe(DateTimeOffset now)
    {
        var runner = managed.Runner;
        if (runner is null)
            return;
        if (!ReferenceEquals(runner, _runnerSeen))
        {
            if (_runnerSeen is not null && _lastProgress is { } last)
            {
                UploadedBefore += last.UploadedPayload;
                DownloadedBefore += last.DownloadedPayload;
            }
            _runnerSeen = runner;
            _lastProgress = null;
            StartDate = now;
        }
        if (runner.Progress() is { } progress)
        {
            if (_lastProgress is { } previous && (progress.DownloadedPayload != previous.DownloadedPayload || progress.UploadedPayload != previous.UploadedPayload))
                LastActivity = now;
            _lastProgress = progress;
        }
        _metainfo ??= runner.Torrent;
    }
}
