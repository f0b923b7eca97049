namespace P2PShare.Engine;

/// <summary>
/// A piece store that can also write a verified piece on the calling thread. The disk queue's workers use it: on
/// Linux an asynchronous file write is a synchronous one run on another pool thread, so writing in place spares a
/// thread hop, a state machine and a wake-up per piece (65,536 of them for a GiB of 16 KiB pieces).
/// </summary>
internal interface IDirectPieceWriter
{
    /// <summary>
    /// Writes a whole piece, already verified, at its place in the files, blocking until the bytes are handed to the
    /// operating system (as <see cref="IPieceStore.WritePieceAsync"/> does). False when this piece cannot be written
    /// this way now (e.g. a file selection places it): nothing was written, use <see cref="IPieceStore.WritePieceAsync"/>.
    /// </summary>
    bool TryWritePiece(int pieceIndex, ReadOnlySpan<byte> data, CancellationToken cancellationToken);

    /// <summary>
    /// Writes consecutive verified pieces, <paramref name="pieces"/>[k] being piece <paramref name="firstPiece"/> + k,
    /// with one vectored write per file they touch; otherwise as <see cref="TryWritePiece"/> (false: nothing written).
    /// </summary>
    bool TryWritePieces(int firstPiece, IReadOnlyList<ReadOnlyMemory<byte>> pieces, CancellationToken cancellationToken);
}
