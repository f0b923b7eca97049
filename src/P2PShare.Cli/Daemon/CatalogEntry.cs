namespace P2PShare.Cli.Daemon;

/// <summary>One torrent as the daemon keeps it across restarts (torrents.json in the config directory).</summary>
internal sealed record CatalogEntry
{
    public required int Id { get; init; }

    public required string InfoHash { get; init; }

    /// <summary>The magnet link for a torrent added by magnet; null for a .torrent (kept as torrents/&lt;hash&gt;.torrent).</summary>
    public string? Magnet { get; init; }

    public required string DownloadDir { get; init; }

    /// <summary>Stopped by the user (torrent-stop); a queued torrent is not.</summary>
    public bool Stopped { get; init; }

    public DateTimeOffset AddedDate { get; init; }

    public DateTimeOffset? DoneDate { get; init; }

    /// <summary>Last known fraction of verified data, shown while the torrent does not run.</summary>
    public double PercentDone { get; init; }

    /// <summary>Files not wanted (indexes); empty: all wanted.</summary>
    public IReadOnlyList<int> Unwanted { get; init; } = [];

    /// <summary>File priorities by index (-1 low, 0 normal, 1 high); empty: all normal.</summary>
    public IReadOnlyList<int> Priorities { get; init; } = [];

    /// <summary>Per-torrent limits in KiB/s, applied when the matching *Limited flag is set.</summary>
    public long DownloadLimit { get; init; } = 100;

    public bool DownloadLimited { get; init; }

    public long UploadLimit { get; init; } = 100;

    public bool UploadLimited { get; init; }

    public int PeerLimit { get; init; }

    public int QueuePosition { get; init; }

    /// <summary>Payload totals of earlier daemon processes.</summary>
    public long UploadedEver { get; init; }

    public long DownloadedEver { get; init; }
}
