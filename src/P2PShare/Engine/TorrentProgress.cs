namespace P2PShare.Engine;

/// <summary>A snapshot of a torrent session for progress displays and trackers.</summary>
public sealed record TorrentProgress(
    int PieceCount,
    int PiecesHave,
    long TotalLength,
    long VerifiedBytes,
    long DownloadedPayload,
    long UploadedPayload,
    double DownloadRate,
    double UploadRate,
    int Peers,
    int Seeds,
    bool InEndgame,
    int? DhtNodes = null,
    int? DhtPeers = null)
{
    /// <summary>Pieces of the wanted files (a file selection); -1: all pieces are wanted.</summary>
    public int WantedPieces { get; init; } = -1;

    /// <summary>Wanted pieces we have (meaningful when <see cref="WantedPieces"/> is set).</summary>
    public int WantedHave { get; init; }

    /// <summary>Bytes of the wanted pieces; -1: all.</summary>
    public long WantedLength { get; init; } = -1;

    public long WantedVerifiedBytes { get; init; }

    /// <summary>Every wanted piece is verified (all pieces when nothing is deselected).</summary>
    public bool IsComplete => WantedPieces < 0 ? PiecesHave == PieceCount : WantedHave == WantedPieces;

    /// <summary>Every piece of the torrent is verified, wanted or not.</summary>
    public bool HasAllPieces => PiecesHave == PieceCount;

    public double Fraction => WantedLength < 0
        ? (TotalLength == 0 ? 1 : (double)VerifiedBytes / TotalLength)
        : (WantedLength == 0 ? 1 : (double)WantedVerifiedBytes / WantedLength);

    /// <summary>Bytes still to download (of the wanted pieces): what a tracker is told is left.</summary>
    public long Left => WantedLength < 0 ? TotalLength - VerifiedBytes : WantedLength - WantedVerifiedBytes;
}
