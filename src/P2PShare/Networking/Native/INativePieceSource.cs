namespace P2PShare.Networking.Native;

/// <summary>Where a connection's uploads read verified piece bytes from.</summary>
internal interface INativePieceSource
{
    /// <summary>Length of the piece, or -1 when it is not available (any more).</summary>
    int PieceLength(int index);

    ValueTask<int> ReadPieceAsync(int index, Memory<byte> destination, CancellationToken cancellationToken);
}
