using P2PShare.Engine;

namespace P2PShare.Storage;

/// <summary>The disk workers' write path: a verified piece written on the calling thread (see <see cref="IDirectPieceWriter"/>).</summary>
internal sealed partial class TorrentStorage : IDirectPieceWriter
{
    /// <inheritdoc />
    public bool TryWritePiece(int pieceIndex, ReadOnlySpan<byte> data, CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(_disposed != 0, this);
        // A file selection serializes writes with re-placement (an async lock): that path stays asynchronous.
        if (Volatile.Read(ref _selection) is not null || Volatile.Read(ref _emptyFilesCreated) == 0)
            return false;
        var size = _torrent.PieceSize(pieceIndex);
        if (data.Length != size)
            throw new ArgumentException($"piece {pieceIndex} is {size} bytes, not {data.Length}", nameof(data));
        foreach (var segment in _layout.MapPiece(pieceIndex))
        {
            if (segment.IsPadding)
                continue;
            cancellationToken.ThrowIfCancellationRequested();
            using var lease = Acquire(segment.FileIndex, writable: true);
            try
            {
                RandomAccess.Write(lease.Handle, data.Slice(segment.RangeOffset, segment.Length), segment.FileOffset);
            }
            catch (Exception error) when (StorageErrors.IsIoFailure(error))
            {
                throw StorageErrors.Describe(error, "writing", _paths[segment.FileIndex]!);
            }
            // Marked after the write completed: a FlushAsync started after this method returns is sure to see it.
            _unflushedFiles.TryAdd(segment.FileIndex, 0);
        }
        return true;
    }
}
