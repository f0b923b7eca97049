namespace P2PShare.Engine.Native;

/// <summary>A snapshot for the progress line.</summary>
internal sealed record NativeProgress(
    bool FileKnown,
    bool Complete,
    int PiecesHave,
    int PieceCount,
    long FileSize,
    long BytesDownloaded,
    long BytesUploaded,
    int Peers)
{
    public double Fraction => PieceCount == 0 ? (Complete ? 1 : 0) : (double)PiecesHave / PieceCount;
}
