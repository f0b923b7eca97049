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
    public bool IsComplete => PiecesHave == PieceCount;

    public double Fraction => TotalLength == 0 ? 1 : (double)VerifiedBytes / TotalLength;

    public long Left => TotalLength - VerifiedBytes;
}
