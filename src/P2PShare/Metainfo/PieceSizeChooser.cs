namespace P2PShare.Metainfo;

/// <summary>Chooses a piece length for a new torrent.</summary>
internal static class PieceSizeChooser
{
    public const int MinPieceLength = 16 * 1024;
    public const int MaxAutomaticPieceLength = 16 * 1024 * 1024;

    /// <summary>The largest piece length a user may ask for: beyond it, hashing memory and piece re-downloads grow too large.</summary>
    public const int MaxPieceLength = 64 * 1024 * 1024;

    /// <summary>Aim for at most this many pieces: 1,000–2,000 keeps the torrent small and pieces cheap to re-fetch.</summary>
    public const int TargetMaxPieces = 2000;

    /// <summary>The smallest power of two between 16 KiB and 16 MiB giving at most 2,000 pieces (so 1,000–2,000 unless clamped).</summary>
    public static int Choose(long totalLength)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(totalLength);
        var pieceLength = MinPieceLength;
        while (pieceLength < MaxAutomaticPieceLength && (totalLength + pieceLength - 1) / pieceLength > TargetMaxPieces)
            pieceLength *= 2;
        return pieceLength;
    }

    /// <summary>Checks a piece length the user asked for; null when acceptable, else why not.</summary>
    public static string? Validate(long pieceLength)
    {
        if (pieceLength < MinPieceLength || pieceLength > MaxPieceLength)
            return $"piece size must be between {MinPieceLength / 1024} KiB and {MaxPieceLength / 1024} KiB";
        if ((pieceLength & (pieceLength - 1)) != 0)
            return "piece size must be a power of two";
        return null;
    }
}
