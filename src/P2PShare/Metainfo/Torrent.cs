namespace P2PShare.Metainfo;

/// <summary>A parsed BitTorrent metainfo (a .torrent: v1, v2 or hybrid), validated and safe to map onto disk.</summary>
public sealed partial class Torrent
{
    public const int PieceHashLength = 20;

    internal Torrent(
        InfoHash infoHash,
        ReadOnlyMemory<byte> infoBytes,
        string name,
        int pieceLength,
        ReadOnlyMemory<byte> pieceHashes,
        IReadOnlyList<TorrentFile> files,
        bool isMultiFile)
    {
        InfoHash = infoHash;
        InfoBytes = infoBytes;
        Name = name;
        PieceLength = pieceLength;
        PieceHashes = pieceHashes;
        Files = files;
        IsMultiFile = isMultiFile;
        TotalLength = files.Count == 0 ? 0 : files[^1].EndOffset;
        // A v2-only torrent has no SHA-1 list: its pieces follow from the (padded) length.
        PieceCount = pieceHashes.IsEmpty ? (int)((TotalLength + pieceLength - 1) / pieceLength) : pieceHashes.Length / PieceHashLength;
    }

    public InfoHash InfoHash { get; }

    /// <summary>The info dictionary exactly as it appeared in the file (what the info-hash covers).</summary>
    public ReadOnlyMemory<byte> InfoBytes { get; }

    /// <summary>Suggested name: the file name of a single-file torrent, the root directory of a multi-file one.</summary>
    public string Name { get; }

    public int PieceLength { get; }

    public int PieceCount { get; }

    /// <summary>The concatenated 20-byte SHA-1 hashes of all pieces.</summary>
    public ReadOnlyMemory<byte> PieceHashes { get; }

    public IReadOnlyList<TorrentFile> Files { get; }

    public bool IsMultiFile { get; }

    public long TotalLength { get; }

    /// <summary>BEP 12 tiers; a torrent with only 'announce' has one tier of one tracker.</summary>
    public IReadOnlyList<IReadOnlyList<string>> AnnounceTiers { get; internal init; } = [];

    /// <summary>BEP 19 web seeds ('url-list').</summary>
    public IReadOnlyList<string> WebSeeds { get; internal init; } = [];

    /// <summary>BEP 27: peers come only from the torrent's trackers.</summary>
    public bool IsPrivate { get; internal init; }

    public DateTimeOffset? CreationDate { get; internal init; }

    public string? Comment { get; internal init; }

    public string? CreatedBy { get; internal init; }

    /// <summary>What was accepted although not strictly valid (whitespace after the dictionary), for the user to see.</summary>
    public IReadOnlyList<string> Warnings { get; internal init; } = [];

    public IEnumerable<string> Trackers => AnnounceTiers.SelectMany(tier => tier);

    /// <summary>
    /// This torrent with the trackers (each new one its own tier, after the existing tiers) and web seeds it lacks:
    /// a magnet link given again may name more sources than the copy of its metadata saved the first time.
    /// </summary>
    public Torrent WithSources(IEnumerable<string> trackers, IEnumerable<string> webSeeds)
    {
        var known = Trackers.ToHashSet(StringComparer.Ordinal);
        var newTiers = trackers.Where(known.Add).Select(url => (IReadOnlyList<string>)[url]).ToList();
        var allWebSeeds = WebSeeds.Union(webSeeds, StringComparer.Ordinal).ToList();
        if (newTiers.Count == 0 && allWebSeeds.Count == WebSeeds.Count)
            return this;
        return new Torrent(InfoHash, InfoBytes, Name, PieceLength, PieceHashes, Files, IsMultiFile)
        {
            AnnounceTiers = [.. AnnounceTiers, .. newTiers],
            WebSeeds = allWebSeeds,
            IsPrivate = IsPrivate,
            CreationDate = CreationDate,
            Comment = Comment,
            CreatedBy = CreatedBy,
            V2 = V2,
        };
    }

    public ReadOnlySpan<byte> PieceHash(int index) => PieceHashes.Span.Slice(index * PieceHashLength, PieceHashLength);

    public int PieceSize(int index)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(index, PieceCount);
        return index < PieceCount - 1 ? PieceLength : (int)(TotalLength - (long)PieceLength * (PieceCount - 1));
    }

    public long PieceOffset(int index) => (long)index * PieceLength;

    internal MagnetLink ToMagnetLink() => new(InfoHash, Name, [.. Trackers], WebSeeds, []) { InfoHashV2 = V2?.InfoHash };
}
