using System.Collections.Concurrent;
using Microsoft.Win32.SafeHandles;
using P2PShare.Engine;
using P2PShare.Metainfo;
using P2PShare.Protocol;

namespace P2PShare.Storage;

/// <summary>
/// Keeps a torrent's pieces in its files under DIR/&lt;name&gt;. Files are opened lazily, created sparse at their final
/// length, kept open in a bounded LRU, and accessed with positional I/O only, so concurrent writes of different pieces
/// and reads need no locking. Padding files (BEP 47) never reach the disk: writes to them are dropped, reads give zeros.
/// </summary>
internal sealed partial class TorrentStorage : IPieceStore
{
    private readonly Torrent _torrent;
    private readonly FileLayout _layout;
    private readonly ContentPaths _paths;
    private readonly FileHandleCache _handles;
    private readonly ConcurrentDictionary<int, byte> _unflushedFiles = new();
    private readonly ConcurrentDictionary<string, byte> _unflushedDirectories = new(StringComparer.Ordinal);
    private int _emptyFilesCreated;
    private int _disposed;

    private static long s_nextStorageId;
    private readonly bool _sharesHandles;
    private readonly long _keyBase;

    /// <param name="sharedHandles">The engine's handle budget shared by all torrents; null: a budget of this storage's own.</param>
    public TorrentStorage(Torrent torrent, string directory, TorrentStorageOptions? options = null, FileHandleCache? sharedHandles = null)
    {
        ArgumentNullException.ThrowIfNull(torrent);
        _torrent = torrent;
        _layout = new FileLayout(torrent);
        _paths = ContentPaths.For(torrent, directory);
        _sharesHandles = sharedHandles is not null;
        _handles = sharedHandles ?? new FileHandleCache((options ?? TorrentStorageOptions.Default).MaxOpenFiles);
        // In a shared cache the key names the storage as well as the file.
        _keyBase = Interlocked.Increment(ref s_nextStorageId) << 32;
    }

    public Torrent Torrent => _torrent;

    public FileLayout Layout => _layout;

    public ContentPaths Paths => _paths;

    /// <summary>Handles currently open (for tests and diagnostics).</summary>
    public int OpenFileCount => _handles.OpenCount;

    /// <summary>Files written (or marked) since the last <see cref="FlushAsync"/> (diagnostics and tests).</summary>
    public int UnflushedFileCount => _unflushedFiles.Count;

    public async ValueTask WritePieceAsync(int pieceIndex, ReadOnlyMemory<byte> data, CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(_disposed != 0, this);
        var size = _torrent.PieceSize(pieceIndex);
        if (data.Length != size)
            throw new ArgumentException($"piece {pieceIndex} is {size} bytes, not {data.Length}", nameof(data));
        if (Volatile.Read(ref _selection) is not null)
        {
            await WriteSelectedAsync(pieceIndex, data, cancellationToken).ConfigureAwait(false);
            return;
        }
        if (Interlocked.Exchange(ref _emptyFilesCreated, 1) == 0)
        {
            try
            {
                CreateEmptyFiles();
            }
            catch
            {
                Volatile.Write(ref _emptyFilesCreated, 0); // try again with the next piece
                throw;
            }
        }
        foreach (var segment in _layout.MapPiece(pieceIndex))
        {
            if (segment.IsPadding)
                continue;
            cancellationToken.ThrowIfCancellationRequested();
            var path = _paths[segment.FileIndex]!;
            using var lease = Acquire(segment.FileIndex, writable: true);
            try
            {
                await RandomAccess.WriteAsync(lease.Handle, data.Slice(segment.RangeOffset, segment.Length), segment.FileOffset, cancellationToken)
                    .ConfigureAwait(false);
            }
            catch (Exception error) when (StorageErrors.IsIoFailure(error))
            {
                throw StorageErrors.Describe(error, "writing", path);
            }
            // Marked after the write completed: a FlushAsync started after this method returns is sure to see it.
            _unflushedFiles.TryAdd(segment.FileIndex, 0);
        }
    }

    public async ValueTask ReadAsync(int pieceIndex, int offset, Memory<byte> destination, CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(_disposed != 0, this);
        // Without a selection every byte lives in its own file: the one read path, with nothing in the part file.
        var placement = Volatile.Read(ref _selection) is { } selection ? selection.Snapshot(pieceIndex) : NoPlacement;
        await ReadPlacedAsync(pieceIndex, offset, destination, placement, cancellationToken).ConfigureAwait(false);
    }

    private static readonly (bool[] Wanted, bool InParts) NoPlacement = ([], false);

    /// <summary>fsyncs every file written since the last flush, and the directories where files were created.</summary>
    public async ValueTask FlushAsync(CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(_disposed != 0, this);
        foreach (var fileIndex in _unflushedFiles.Keys)
        {
            cancellationToken.ThrowIfCancellationRequested();
            _unflushedFiles.TryRemove(fileIndex, out _);
            var path = _paths[fileIndex]!;
            try
            {
                // The handle may have been evicted since the write; fsync on a fresh handle still flushes the file's data.
                using var lease = Acquire(fileIndex, writable: false);
                await Task.Run(() => RandomAccess.FlushToDisk(lease.Handle), cancellationToken).ConfigureAwait(false);
            }
            catch (Exception error) when (StorageErrors.IsIoFailure(error))
            {
                _unflushedFiles.TryAdd(fileIndex, 0);
                throw StorageErrors.Describe(error, "flushing", path);
            }
        }
        foreach (var directory in _unflushedDirectories.Keys)
        {
            _unflushedDirectories.TryRemove(directory, out _);
            try
            {
                DirectorySync.Flush(directory);
            }
            catch (IOException error)
            {
                _unflushedDirectories.TryAdd(directory, 0);
                throw StorageErrors.Describe(error, "flushing directory", directory);
            }
        }
        await FlushPartFileAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Creates the torrent's zero-length files (no piece ever writes to them). Done on the first write.</summary>
    /// <summary>
    /// Pieces an earlier process wrote and saved without an fsync (<see cref="ResumeData.UnsyncedPieces"/>): the next
    /// <see cref="FlushAsync"/> fsyncs their files too, before a save calls them durable.
    /// </summary>
    public void MarkUnflushed(Bitfield pieces)
    {
        ArgumentNullException.ThrowIfNull(pieces);
        var parts = PartPieces();
        foreach (var piece in pieces.SetIndices())
        {
            if (parts[piece])
                Volatile.Write(ref _partFileDirty, 1);
            foreach (var segment in _layout.MapPiece(piece))
                if (!segment.IsPadding && !_unflushedFiles.ContainsKey(segment.FileIndex) && File.Exists(_paths[segment.FileIndex]))
                    _unflushedFiles.TryAdd(segment.FileIndex, 0);
        }
    }

    public void CreateEmptyFiles()
    {
        for (var i = 0; i < _torrent.Files.Count; i++)
        {
            var file = _torrent.Files[i];
            if (file.Length != 0 || file.IsPadding || !IsFileWanted(i))
                continue;
            var path = _paths[i]!;
            LinkGuard.EnsureNoLinks(_paths.Directory, path);
            if (File.Exists(path))
                continue;
            CreateDirectoryFor(path);
            try
            {
                File.OpenHandle(path, FileMode.OpenOrCreate, FileAccess.Write, FileShare.ReadWrite).Dispose();
            }
            catch (Exception error) when (StorageErrors.IsIoFailure(error))
            {
                throw StorageErrors.Describe(error, "creating", path);
            }
            _unflushedDirectories.TryAdd(Path.GetDirectoryName(path)!, 0);
        }
    }

    public ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
            return ValueTask.CompletedTask;
        ClosePartFile();
        if (!_sharesHandles)
        {
            _handles.Dispose();
            return ValueTask.CompletedTask;
        }
        for (var i = 0; i < _torrent.Files.Count; i++)
            _handles.Evict(_keyBase | (uint)i);
        return ValueTask.CompletedTask;
    }

    private FileHandleCache.Lease Acquire(int fileIndex, bool writable) =>
        _handles.Acquire(_keyBase | (uint)fileIndex, writable, w => Open(fileIndex, w));

    private SafeFileHandle Open(int fileIndex, bool writable)
    {
        var path = _paths[fileIndex]!;
        if (!writable)
        {
            try
            {
                return File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
            }
            catch (Exception error) when (StorageErrors.IsIoFailure(error))
            {
                throw StorageErrors.Describe(error, "opening", path);
            }
        }

        LinkGuard.EnsureNoLinks(_paths.Directory, path);
        var existed = File.Exists(path);
        if (!existed)
            CreateDirectoryFor(path);
        SafeFileHandle handle;
        try
        {
            handle = File.OpenHandle(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.ReadWrite);
        }
        catch (Exception error) when (StorageErrors.IsIoFailure(error))
        {
            throw StorageErrors.Describe(error, existed ? "opening" : "creating", path);
        }
        try
        {
            // Sparse at its final length: blocks are allocated as pieces arrive, nothing is zero-filled. A longer file
            // is left alone: the extra bytes are not ours to destroy.
            var length = _torrent.Files[fileIndex].Length;
            if (RandomAccess.GetLength(handle) < length)
                RandomAccess.SetLength(handle, length);
        }
        catch (Exception error) when (StorageErrors.IsIoFailure(error))
        {
            handle.Dispose();
            throw StorageErrors.Describe(error, "sizing", path);
        }
        if (!existed)
            _unflushedDirectories.TryAdd(Path.GetDirectoryName(path)!, 0);
        return handle;
    }

    private void CreateDirectoryFor(string path)
    {
        var directory = Path.GetDirectoryName(path)!;
        if (Directory.Exists(directory))
            return;
        LinkGuard.EnsureNoLinks(_paths.Directory, directory);
        try
        {
            Directory.CreateDirectory(directory);
        }
        catch (Exception error) when (StorageErrors.IsIoFailure(error))
        {
            throw StorageErrors.Describe(error, "creating directory", directory);
        }
        // New directory entries must be durable too; sync each new level's parent on the next flush.
        for (var level = directory; level is not null && level.Length > _paths.Directory.Length; level = Path.GetDirectoryName(level))
            _unflushedDirectories.TryAdd(Path.GetDirectoryName(level)!, 0);
    }
}
