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
        if (!CanWriteDirectly())
            return false;
        CheckSize(pieceIndex, data.Length);
        foreach (var segment in _layout.MapPiece(pieceIndex))
        {
            if (segment.IsPadding)
                continue;
            cancellationToken.ThrowIfCancellationRequested();
            WriteToFile(segment.FileIndex, segment.FileOffset, data.Slice(segment.RangeOffset, segment.Length), run: null);
        }
        return true;
    }

    /// <inheritdoc />
    public bool TryWritePieces(int firstPiece, IReadOnlyList<ReadOnlyMemory<byte>> pieces, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThan(firstPiece + pieces.Count, _torrent.PieceCount, nameof(pieces));
        if (!CanWriteDirectly())
            return false;
        for (var k = 0; k < pieces.Count; k++)
            CheckSize(firstPiece + k, pieces[k].Length);
        // Runs of slices that lie end to end in one file, each written with one pwritev.
        var run = new List<ReadOnlyMemory<byte>>(pieces.Count + 2);
        int runFile = -1;
        long runStart = 0, runEnd = 0;
        for (var k = 0; k < pieces.Count; k++)
        {
            foreach (var segment in _layout.MapPiece(firstPiece + k))
            {
                if (segment.IsPadding)
                    continue;
                if (run.Count > 0 && (segment.FileIndex != runFile || segment.FileOffset != runEnd))
                {
                    cancellationToken.ThrowIfCancellationRequested();
                    WriteToFile(runFile, runStart, default, run);
                    run.Clear();
                }
                if (run.Count == 0)
                    (runFile, runStart, runEnd) = (segment.FileIndex, segment.FileOffset, segment.FileOffset);
                run.Add(pieces[k].Slice(segment.RangeOffset, segment.Length));
                runEnd += segment.Length;
            }
        }
        if (run.Count > 0)
        {
            cancellationToken.ThrowIfCancellationRequested();
            WriteToFile(runFile, runStart, default, run);
        }
        return true;
    }

    private bool CanWriteDirectly()
    {
        ObjectDisposedException.ThrowIf(_disposed != 0, this);
        // A file selection serializes writes with re-placement (an async lock): that path stays asynchronous.
        return Volatile.Read(ref _selection) is null && Volatile.Read(ref _emptyFilesCreated) != 0;
    }

    private void CheckSize(int pieceIndex, int length)
    {
        var size = _torrent.PieceSize(pieceIndex);
        if (length != size)
            throw new ArgumentException($"piece {pieceIndex} is {size} bytes, not {length}");
    }

    /// <summary>Writes <paramref name="data"/>, or the buffers of <paramref name="run"/> end to end (pwritev) when it is given.</summary>
    private void WriteToFile(int fileIndex, long fileOffset, ReadOnlySpan<byte> data, List<ReadOnlyMemory<byte>>? run)
    {
        using var lease = Acquire(fileIndex, writable: true);
        try
        {
            lock (_fileWriteLocks[fileIndex & (_fileWriteLocks.Length - 1)])
            {
                if (run is null)
                    RandomAccess.Write(lease.Handle, data, fileOffset);
                else
                    RandomAccess.Write(lease.Handle, run, fileOffset);
            }
        }
        catch (Exception error) when (StorageErrors.IsIoFailure(error))
        {
            throw StorageErrors.Describe(error, "writing", _paths[fileIndex]!);
        }
        // Marked after the write completed: a FlushAsync started after this method returns is sure to see it.
        _unflushedFiles.TryAdd(fileIndex, 0);
    }
}
