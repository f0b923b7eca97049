namespace P2PShare.Protocol.Native;

/// <summary>What a swarm shares: the file's size, whole-file SHA-1 and piece layout.</summary>
internal sealed record NativeFileDescriptor(string FileName, long FileSize, string FileHash, int PieceSize)
{
    /// <summary>The piece size the original uses: 65536, or the file size when smaller.</summary>
    public const int StandardPieceSize = 65536;

    /// <summary>Per-piece SHA-1 (extension); null when unknown.</summary>
    public IReadOnlyList<string>? PieceHashes { get; init; }

    public int PieceCount => FileSize == 0 ? 0 : (int)((FileSize + PieceSize - 1) / PieceSize);

    public long PieceOffset(int index) => (long)index * PieceSize;

    public int PieceLength(int index) => (int)Math.Min(PieceSize, FileSize - PieceOffset(index));

    public static int PieceSizeFor(long fileSize) => (int)Math.Min(StandardPieceSize, fileSize);

    /// <summary>Checks a descriptor announced by a peer against the limits before anything is allocated for it.</summary>
    public static bool IsAcceptable(long fileSize, int pieceSize, NativeCodecLimits limits, out string? reason)
    {
        reason = null;
        if (fileSize < 0 || fileSize > limits.MaxFileSize)
            reason = $"file size {fileSize} is outside 0..{limits.MaxFileSize}";
        else if (fileSize > 0 && (pieceSize <= 0 || pieceSize > limits.MaxPieceSize))
            reason = $"piece size {pieceSize} is outside 1..{limits.MaxPieceSize}";
        else if (fileSize > 0 && (fileSize + pieceSize - 1) / pieceSize > limits.MaxPieceCount)
            reason = $"file of {fileSize} bytes would have more than {limits.MaxPieceCount} pieces";
        return reason is null;
    }
}
