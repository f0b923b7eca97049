namespace P2PShare.Metainfo;

/// <summary>What goes into a new torrent besides its files.</summary>
internal sealed record TorrentCreationOptions
{
    /// <summary>Tracker announce URLs; each becomes its own tier, in order (as mktorrent and transmission-create do).</summary>
    public IReadOnlyList<string> Trackers { get; init; } = [];

    /// <summary>BEP 19 web seeds, written as 'url-list'.</summary>
    public IReadOnlyList<string> WebSeeds { get; init; } = [];

    /// <summary>Piece length in bytes; null chooses one with <see cref="PieceSizeChooser"/>.</summary>
    public int? PieceLength { get; init; }

    public bool IsPrivate { get; init; }

    public string? Comment { get; init; }

    /// <summary>'created by'; null writes "P2PShare/&lt;version&gt;".</summary>
    public string? CreatedBy { get; init; }

    /// <summary>'creation date'; null writes none.</summary>
    public DateTimeOffset? CreationDate { get; init; }

    /// <summary>BEP 52: <see cref="TorrentVersion.V2"/> or <see cref="TorrentVersion.Hybrid"/> (v1 and v2 in one, as libtorrent makes by default).</summary>
    public TorrentVersion Version { get; init; } = TorrentVersion.V1;

    /// <summary>A file to leave out of a directory (the output torrent itself when it is written inside the source).</summary>
    public string? ExcludePath { get; init; }
}
