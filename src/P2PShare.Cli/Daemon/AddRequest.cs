namespace P2PShare.Cli.Daemon;

/// <summary>What torrent-add (or the watch directory) asks for: exactly one of the metainfo bytes or a magnet link.</summary>
internal sealed record AddRequest
{
    public ReadOnlyMemory<byte>? Metainfo { get; init; }

    public string? Magnet { get; init; }

    /// <summary>Null: the session's start-added-torrents.</summary>
    public bool? Paused { get; init; }

    /// <summary>Null: the session's download directory.</summary>
    public string? DownloadDir { get; init; }
}

/// <summary>The torrent added, or the one already there with the same info-hash.</summary>
internal sealed record AddResult(DaemonTorrent Torrent, bool Duplicate);
