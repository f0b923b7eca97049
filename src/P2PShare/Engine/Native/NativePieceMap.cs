namespace P2PShare.Engine.Native;

/// <summary>
/// How the native protocol's pieces of a single-file torrent lie over the torrent's pieces: both are byte ranges of the
/// one file, so a native piece covers a run of torrent pieces and the other way round. Pure arithmetic.
/// </summary>
internal sealed class NativePieceMap
{
    public NativePieceMap(long fileLength, int torrentPieceLength, int nativePieceSize)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(fileLength);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(torrentPieceLength);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(nativePieceSize);
        FileLength = fileLength;
        TorrentPieceLength = torrentPieceLength;
        NativePieceSize = nativePieceSize;
        NativeCount = (int)((fileLength + nativePieceSize - 1) / nativePieceSize);
        TorrentCount = (int)((fileLength + torrentPieceLength - 1) / torrentPieceLength);
    }

    public long FileLength { get; }

    public int TorrentPieceLength { get; }

    public int NativePieceSize { get; }

    public int NativeCount { get; }

    public int TorrentCount { get; }

    public long NativeOffset(int native) => (long)native * NativePieceSize;

    public int NativeLength(int native) => (int)Math.Min(NativePieceSize, FileLength - NativeOffset(native));

    public long TorrentOffset(int piece) => (long)piece * TorrentPieceLength;

    public int TorrentLength(int piece) => (int)Math.Min(TorrentPieceLength, FileLength - TorrentOffset(piece));

    /// <summary>The native pieces that hold some byte of torrent piece <paramref name="piece"/>: first and last (inclusive).</summary>
    public (int First, int Last) NativeRange(int piece)
    {
        var start = TorrentOffset(piece);
        return ((int)(start / NativePieceSize), (int)((start + TorrentLength(piece) - 1) / NativePieceSize));
    }

    /// <summary>The torrent pieces that hold some byte of native piece <paramref name="native"/>: first and last (inclusive).</summary>
    public (int First, int Last) TorrentRange(int native)
    {
        var start = NativeOffset(native);
        return ((int)(start / TorrentPieceLength), (int)((start + NativeLength(native) - 1) / TorrentPieceLength));
    }

    /// <summary>
    /// Where native piece <paramref name="native"/> and torrent piece <paramref name="piece"/> share bytes: the offset in
    /// each and the length (0 when they do not overlap).
    /// </summary>
    public (int InNative, int InTorrent, int Length) Overlap(int native, int piece)
    {
        var nativeStart = NativeOffset(native);
        var pieceStart = TorrentOffset(piece);
        var start = Math.Max(nativeStart, pieceStart);
        var end = Math.Min(nativeStart + NativeLength(native), pieceStart + TorrentLength(piece));
        return end <= start ? (0, 0, 0) : ((int)(start - nativeStart), (int)(start - pieceStart), (int)(end - start));
    }
}
