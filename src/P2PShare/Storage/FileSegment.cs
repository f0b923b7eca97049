namespace P2PShare.Storage;

/// <summary>The part of a torrent byte range that falls in one file.</summary>
/// <param name="FileIndex">Index into <see cref="Metainfo.Torrent.Files"/>.</param>
/// <param name="FileOffset">Where the segment starts inside the file.</param>
/// <param name="Length">Bytes in this segment (never 0).</param>
/// <param name="RangeOffset">Where the segment starts inside the requested range (to slice a buffer).</param>
/// <param name="IsPadding">A BEP 47 padding file: zeros, never on disk.</param>
internal readonly record struct FileSegment(int FileIndex, long FileOffset, int Length, int RangeOffset, bool IsPadding);
