using System.Buffers;
using Microsoft.Win32.SafeHandles;
using P2PShare.Protocol;

namespace P2PShare.Storage;

/// <summary>
/// File selection in storage: skipped files are never created. Bytes of a skipped file that arrive in a piece shared
/// with a wanted file go to the part file (in the state directory), at their offset in the torrent's concatenated data
/// (a sparse file: only those pieces take space). So every place only ever holds the verified bytes of its offset, and
/// moving data between the part file and the real files never destroys a copy a concurrent read could need.
/// <para>
/// The rule for a verified piece and a skipped file: its bytes are in the part file when the piece is in
/// <see cref="PartPieces"/>, otherwise in the file itself (written while the file was wanted). Selection changes
/// re-place the pieces in the part file that touch a changed file (read by the old rule, written by the new one).
/// </para>
/// </summary>
internal sealed partial class TorrentStorage
{
    private Selection? _selection;
    private string? _partFilePath;
    private SafeFileHandle? _partFile;
    private int _partFileDirty;
    private readonly object _partFileGate = new();

    /// <summary>The part file's path; null until <see cref="ApplySelectionAsync"/> gave one.</summary>
    public string? PartFilePath => _partFilePath;

    /// <summary>Pieces whose bytes of skipped files are in the part file (resume data records them); empty without a selection.</summary>
    public Bitfield PartPieces() => _selection?.PartPiecesSnapshot() ?? new Bitfield(_torrent.PieceCount);

    /// <summary>Whether file <paramref name="fileIndex"/> is wanted (created and written). Every file is, without a selection.</summary>
    public bool IsFileWanted(int fileIndex) => Volatile.Read(ref _selection) is not { } s || s.Wanted[fileIndex];

    /// <summary>
    /// Sets which files are wanted. The first call (at start-up) also gives the part file and the pieces the resume data
    /// says are in it (only verified ones count); later calls move the bytes of newly wanted or skipped files between
    /// the part file and the real files without any download. Thread-safe; calls are serialized with piece writes.
    /// </summary>
    /// <param name="verified">Pieces we have: only these are moved.</param>
    public async Task ApplySelectionAsync(IReadOnlyList<bool> wanted, string partFilePath, Bitfield verified, Bitfield? partPieces, CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(_disposed != 0, this);
        if (wanted.Count != _torrent.Files.Count)
            throw new ArgumentException($"{wanted.Count} flags for {_torrent.Files.Count} files", nameof(wanted));
        _partFilePath ??= Path.GetFullPath(partFilePath);
        var current = Volatile.Read(ref _selection);
        if (current is null)
        {
            var parts = new Bitfield(_torrent.PieceCount);
            if (partPieces is not null && partPieces.Length == _torrent.PieceCount)
                foreach (var p in partPieces.SetIndices())
                    if (verified[p])
                        parts[p] = true;
            if (parts.IsEmpty && wanted.All(w => w))
                return; // nothing selected, nothing parked: the plain path, at no cost
            // Pieces written before this (none at start-up) were placed in the real files, which the rule covers.
            Volatile.Write(ref _selection, new Selection([.. wanted], parts));
            CreateEmptyFiles();
            return;
        }
        await current.Placement.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var old = current.Wanted;
            var changed = new bool[old.Length];
            for (var f = 0; f < old.Length; f++)
                changed[f] = old[f] != wanted[f] && !_torrent.Files[f].IsPadding;
            var moves = new List<(int Piece, bool InParts)>();
            var buffer = ArrayPool<byte>.Shared.Rent(_torrent.PieceLength);
            try
            {
                foreach (var piece in current.PartPiecesSnapshot().SetIndices())
                {
                    if (!verified[piece] || !_layout.MapPiece(piece).Any(s => changed[s.FileIndex]))
                        continue;
                    var size = _torrent.PieceSize(piece);
                    var data = buffer.AsMemory(0, size);
                    await ReadPlacedAsync(piece, 0, data, (old, true), cancellationToken).ConfigureAwait(false);
                    var inParts = await WritePlacedAsync(piece, data, [.. wanted], cancellationToken).ConfigureAwait(false);
                    moves.Add((piece, inParts));
                }
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(buffer);
            }
            // The new copies are written; only now do reads follow the new rule.
            current.Switch([.. wanted], moves);
        }
        finally
        {
            current.Placement.Release();
        }
        CreateEmptyFiles();
    }

    private async Task WriteSelectedAsync(int pieceIndex, ReadOnlyMemory<byte> data, CancellationToken cancellationToken)
    {
        var selection = _selection!;
        await selection.Placement.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var inParts = await WritePlacedAsync(pieceIndex, data, selection.Wanted, cancellationToken).ConfigureAwait(false);
            selection.SetInParts(pieceIndex, inParts);
        }
        finally
        {
            selection.Placement.Release();
        }
    }

    /// <summary>Writes a piece: wanted files' bytes to the files, skipped files' to the part file. True if any went to the part file.</summary>
    private async Task<bool> WritePlacedAsync(int pieceIndex, ReadOnlyMemory<byte> data, bool[] wanted, CancellationToken cancellationToken)
    {
        var pieceOffset = _torrent.PieceOffset(pieceIndex);
        var inParts = false;
        foreach (var segment in _layout.MapPiece(pieceIndex))
        {
            if (segment.IsPadding)
                continue;
            cancellationToken.ThrowIfCancellationRequested();
            var slice = data.Slice(segment.RangeOffset, segment.Length);
            if (wanted[segment.FileIndex])
            {
                await WriteFileSegmentAsync(segment, slice, cancellationToken).ConfigureAwait(false);
                continue;
            }
            inParts = true;
            var handle = PartFile();
            try
            {
                await RandomAccess.WriteAsync(handle, slice, pieceOffset + segment.RangeOffset, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception error) when (StorageErrors.IsIoFailure(error))
            {
                throw StorageErrors.Describe(error, "writing", _partFilePath!);
            }
            Volatile.Write(ref _partFileDirty, 1);
        }
        return inParts;
    }

    private async ValueTask WriteFileSegmentAsync(FileSegment segment, ReadOnlyMemory<byte> slice, CancellationToken cancellationToken)
    {
        var path = _paths[segment.FileIndex]!;
        using var lease = Acquire(segment.FileIndex, writable: true);
        try
        {
            await RandomAccess.WriteAsync(lease.Handle, slice, segment.FileOffset, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception error) when (StorageErrors.IsIoFailure(error))
        {
            throw StorageErrors.Describe(error, "writing", path);
        }
        _unflushedFiles.TryAdd(segment.FileIndex, 0);
    }

    /// <summary>Reads part of a piece by the placement rule given (the wanted flags, and whether the piece is in the part file).</summary>
    private async ValueTask ReadPlacedAsync(int pieceIndex, int offset, Memory<byte> destination, (bool[] Wanted, bool InParts) placement, CancellationToken cancellationToken)
    {
        var start = _torrent.PieceOffset(pieceIndex) + offset;
        foreach (var segment in _layout.MapPiece(pieceIndex, offset, destination.Length))
        {
            var slice = destination.Slice(segment.RangeOffset, segment.Length);
            if (segment.IsPadding)
            {
                slice.Span.Clear();
                continue;
            }
            cancellationToken.ThrowIfCancellationRequested();
            var fromParts = placement.InParts && !placement.Wanted[segment.FileIndex];
            var path = fromParts ? _partFilePath! : _paths[segment.FileIndex]!;
            int done;
            long fileLength = -1;
            try
            {
                if (fromParts)
                {
                    done = await PositionalRead.FillAsync(PartFile(), slice, start + segment.RangeOffset, cancellationToken).ConfigureAwait(false);
                }
                else
                {
                    using var lease = Acquire(segment.FileIndex, writable: false);
                    done = await PositionalRead.FillAsync(lease.Handle, slice, segment.FileOffset, cancellationToken).ConfigureAwait(false);
                    if (done < slice.Length)
                        fileLength = RandomAccess.GetLength(lease.Handle);
                }
            }
            catch (Exception error) when (StorageErrors.IsIoFailure(error))
            {
                throw StorageErrors.Describe(error, "reading", path);
            }
            if (done < slice.Length)
            {
                throw new IOException(fromParts
                    ? $"{path} is too short to read {slice.Length} bytes of piece {pieceIndex} (truncated?)"
                    : $"{path} is {fileLength} bytes, too short to read up to offset {segment.FileOffset + slice.Length} (truncated?)");
            }
        }
    }

    private SafeFileHandle PartFile()
    {
        lock (_partFileGate)
        {
            ObjectDisposedException.ThrowIf(_disposed != 0, this);
            if (_partFile is { } open)
                return open;
            var path = _partFilePath ?? throw new InvalidOperationException("no part file path");
            try
            {
                Directory.CreateDirectory(Path.GetDirectoryName(path)!);
                _partFile = File.OpenHandle(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.ReadWrite);
            }
            catch (Exception error) when (StorageErrors.IsIoFailure(error))
            {
                throw StorageErrors.Describe(error, "opening", path);
            }
            _unflushedDirectories.TryAdd(Path.GetDirectoryName(path)!, 0);
            return _partFile;
        }
    }

    private async ValueTask FlushPartFileAsync(CancellationToken cancellationToken)
    {
        if (Interlocked.Exchange(ref _partFileDirty, 0) == 0)
            return;
        try
        {
            var handle = PartFile();
            await Task.Run(() => RandomAccess.FlushToDisk(handle), cancellationToken).ConfigureAwait(false);
        }
        catch (Exception error) when (StorageErrors.IsIoFailure(error))
        {
            Volatile.Write(ref _partFileDirty, 1);
            throw StorageErrors.Describe(error, "flushing", _partFilePath!);
        }
    }

    private void ClosePartFile()
    {
        lock (_partFileGate)
        {
            _partFile?.Dispose();
            _partFile = null;
        }
    }

    /// <summary>The wanted flags and the pieces in the part file. Readers take a consistent snapshot under a small lock.</summary>
    private sealed class Selection(bool[] wanted, Bitfield parts)
    {
        private readonly object _gate = new();
        private bool[] _wanted = wanted;

        /// <summary>Serializes piece writes with re-placement (only while a selection is active).</summary>
        public SemaphoreSlim Placement { get; } = new(1, 1);

        public bool[] Wanted
        {
            get { lock (_gate) return _wanted; }
        }

        public (bool[] Wanted, bool InParts) Snapshot(int piece)
        {
            lock (_gate)
                return (_wanted, parts[piece]);
        }

        public void SetInParts(int piece, bool inParts)
        {
            lock (_gate)
                parts[piece] = inParts;
        }

        public void Switch(bool[] wanted, IEnumerable<(int Piece, bool InParts)> moves)
        {
            lock (_gate)
            {
                _wanted = wanted;
                foreach (var (piece, inParts) in moves)
                    parts[piece] = inParts;
            }
        }

        public Bitfield PartPiecesSnapshot()
        {
            lock (_gate)
                return parts.Clone();
        }
    }
}
