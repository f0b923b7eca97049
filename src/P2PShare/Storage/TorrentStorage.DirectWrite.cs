using P2PShare.Engine;

namespace P2PShare.Storage;

/// <summary>The disk workers' write path: a verified piece written on the calling thread (see <see cref="IDirectPieceWriter"/>).</summary>
internal sealed partial class TorrentStorage : IDirectPieceWriter
{
    // Buffered writes to one file take its inode lock exclusively (Linux i_rwsem), and a writer waiting for it spins
    // while the holder copies: two disk workers writing the same file burned 13% of a download's CPU in
    // rwsem_spin_on_owner (perf, 1 GiB p2pshare -> p2pshare). One writer per file at a time, the others wait here
    // and sleep instead. Striped: a lock per file would be 100,000 objects for 100,000 files.
    private readonly Lock[] _fileWriteLocks = [.. Enumerable.Range(0, 16).Select(_ => new Lock())];

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
                lock (_fileWriteLocks[segment.FileIndex & (_fileWriteLocks.Length - 1)])
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
