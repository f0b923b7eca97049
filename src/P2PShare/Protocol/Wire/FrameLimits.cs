namespace P2PShare.Protocol.Wire;

/// <summary>What the reader accepts for one torrent; anything larger closes the connection.</summary>
internal readonly record struct FrameLimits(int PieceCount, int MaxBlockLength = FrameLimits.StandardBlockLength, int MaxExtendedLength = 1 << 20)
{
    public const int StandardBlockLength = 16 * 1024;

    /// <summary>Unknown message ids (extensions we did not negotiate) are skipped up to this size.</summary>
    public const int MaxUnknownLength = 64 * 1024;

    /// <summary>The piece count is not known yet (a magnet link before its metadata): a bitfield is accepted up to <see cref="MaxUnknownLength"/>.</summary>
    public const int UnknownPieceCount = -1;

    public static FrameLimits BeforeMetadata => new(UnknownPieceCount);

    public bool PieceCountKnown => PieceCount >= 0;

    public int BitfieldLength => PieceCountKnown ? Bitfield.ByteLengthFor(PieceCount) : 0;
}
