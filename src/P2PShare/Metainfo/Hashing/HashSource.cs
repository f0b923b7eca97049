namespace P2PShare.Metainfo.Hashing;

/// <summary>One stretch of a torrent's data, in torrent order: a file on disk, or padding when <paramref name="Path"/> is null (zeros).</summary>
internal sealed record HashSource(string? Path, long Length);
