namespace P2PShare.Metainfo;

/// <summary>One file to put into a new torrent: where it is on disk and where it goes in the torrent.</summary>
internal sealed record PlannedFile(string FullPath, IReadOnlyList<string> PathSegments, long Length);

/// <summary>The files of a torrent about to be created, known before any hashing (so progress has a total).</summary>
internal sealed record TorrentPlan(
    string Name,
    bool IsMultiFile,
    IReadOnlyList<PlannedFile> Files,
    int PieceLength,
    IReadOnlyList<string> Warnings)
{
    public long TotalLength => Files.Sum(f => f.Length);

    public int PieceCount => (int)((TotalLength + PieceLength - 1) / PieceLength);
}
