namespace P2PShare.Protocol.Native;

/// <summary>Bounds that keep a hostile peer from exhausting memory. Every length is checked before allocating.</summary>
internal sealed record NativeCodecLimits
{
    public static readonly NativeCodecLimits Default = new();

    /// <summary>Longest line accepted; past it the connection is closed. A 64 KiB piece is about 87 KB.</summary>
    public int MaxLineLength { get; init; } = 16 * 1024 * 1024;

    /// <summary>Largest piece size a handshake may announce, and largest piece a message may carry.</summary>
    public int MaxPieceSize { get; init; } = 4 * 1024 * 1024;

    /// <summary>Largest number of pieces a file may have (64 GiB at 64 KiB pieces).</summary>
    public int MaxPieceCount { get; init; } = 1 << 20;

    /// <summary>Peers past this count in one message are ignored.</summary>
    public int MaxPeersPerMessage { get; init; } = 200;

    /// <summary>Longest string field kept (ids, names, hosts).</summary>
    public int MaxStringLength { get; init; } = 4096;

    /// <summary>
    /// Messages (not uploads, not "have": at most one per piece) queued to one peer; past it the peer is dropped. A peer that never reads could otherwise
    /// grow the queue without end, for example with requests that each get a "donthave" answer. About 40 bytes each.
    /// </summary>
    public int MaxQueuedMessages { get; init; } = 16 * 1024;

    /// <summary>Largest file size accepted from a handshake.</summary>
    public long MaxFileSize => (long)MaxPieceCount * MaxPieceSize;

    /// <summary>Base64 characters needed for <see cref="MaxPieceSize"/> bytes.</summary>
    public int MaxEncodedPieceLength => (MaxPieceSize + 2) / 3 * 4;
}
