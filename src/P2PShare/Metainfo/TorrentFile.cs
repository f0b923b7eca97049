namespace P2PShare.Metainfo;

/// <summary>One file of a torrent, placed at <see cref="Offset"/> in the torrent's concatenated data.</summary>
/// <param name="PathSegments">Sanitized components below the torrent's root (for a single-file torrent: its name).</param>
/// <param name="IsPadding">A BEP 47 padding file: part of the piece layout, never written to disk.</param>
/// <param name="PiecesRoot">BEP 52: the SHA-256 merkle root of the file (v2 and hybrid torrents; null for v1 and empty files).</param>
public sealed record TorrentFile(IReadOnlyList<string> PathSegments, long Length, long Offset, bool IsPadding = false, byte[]? PiecesRoot = null)
{
    /// <summary>The components below the torrent's root; setting them also sets <see cref="DisplayPath"/>.</summary>
    public IReadOnlyList<string> PathSegments
    {
        get;
        init
        {
            ArgumentNullException.ThrowIfNull(value);
            field = value;
            DisplayPath = string.Join('/', value);
        }
    } = PathSegments;

    /// <summary>
    /// The path with '/' separators, for display and comparisons. Joined once, when the segments are set: start-up,
    /// resume checks and saves ask for it of every file (100,000 of them in a large torrent).
    /// </summary>
    public string DisplayPath { get; private init; } = string.Join('/', PathSegments);

    public long EndOffset => Offset + Length;
}
