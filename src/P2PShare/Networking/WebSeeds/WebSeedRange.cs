namespace P2PShare.Networking.WebSeeds;

/// <summary>
/// One HTTP range request of a piece: <see cref="Length"/> bytes at <see cref="FileOffset"/> of file
/// <see cref="FileIndex"/>, landing at <see cref="PieceOffset"/> in the piece. A padding file's range is not
/// requested: its bytes are zeros.
/// </summary>
internal readonly record struct WebSeedRange(int FileIndex, long FileOffset, int Length, int PieceOffset, bool IsPadding = false)
{
    /// <summary>The HTTP Range header value (inclusive end).</summary>
    public string HeaderValue => $"bytes={FileOffset}-{FileOffset + Length - 1}";
}
