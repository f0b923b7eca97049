using P2PShare.Metainfo;

namespace P2PShare.Storage;

/// <summary>
/// Maps byte ranges of a torrent's concatenated data onto its files. Zero-length files hold no bytes, so they never
/// appear in a segment list; padding files do appear, flagged, so callers can fill zeros instead of touching disk.
/// </summary>
internal sealed class FileLayout
{
    private readonly Torrent _torrent;
    private readonly long[] _offsets;

    public FileLayout(Torrent torrent)
    {
        ArgumentNullException.ThrowIfNull(torrent);
        _torrent = torrent;
        _offsets = [.. torrent.Files.Select(f => f.Offset)];
    }

    public Torrent Torrent => _torrent;

    /// <summary>The segments covering <paramref name="length"/> bytes at <paramref name="offset"/>, in order.</summary>
    public IReadOnlyList<FileSegment> Map(long offset, int length)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(offset);
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        if (offset + length > _torrent.TotalLength)
            throw new ArgumentOutOfRangeException(nameof(length), $"range {offset}+{length} ends past the torrent's {_torrent.TotalLength} bytes");
        var segments = new List<FileSegment>(2);
        if (length == 0)
            return segments;
        var fileIndex = FileAt(offset);
        var done = 0;
        while (done < length)
        {
            var file = _torrent.Files[fileIndex];
            var position = offset + done;
            var inFile = position - file.Offset;
            var take = (int)Math.Min(length - done, file.Length - inFile);
            if (take > 0)
                segments.Add(new FileSegment(fileIndex, inFile, take, done, file.IsPadding));
            done += take;
            fileIndex++;
        }
        return segments;
    }

    /// <summary>The segments of a whole piece.</summary>
    public IReadOnlyList<FileSegment> MapPiece(int pieceIndex) =>
        Map(_torrent.PieceOffset(pieceIndex), _torrent.PieceSize(pieceIndex));

    /// <summary>The segments of <paramref name="length"/> bytes at <paramref name="offset"/> inside a piece.</summary>
    public IReadOnlyList<FileSegment> MapPiece(int pieceIndex, int offset, int length)
    {
        var size = _torrent.PieceSize(pieceIndex);
        ArgumentOutOfRangeException.ThrowIfNegative(offset);
        if (length < 0 || offset > size - length)
            throw new ArgumentOutOfRangeException(nameof(length), $"{offset}+{length} is outside piece {pieceIndex} of {size} bytes");
        return Map(_torrent.PieceOffset(pieceIndex) + offset, length);
    }

    /// <summary>
    /// The pieces holding any byte of a file, as an inclusive range; empty (Count 0) for a zero-length file.
    /// </summary>
    public (int First, int Count) PiecesOfFile(int fileIndex)
    {
        var file = _torrent.Files[fileIndex];
        if (file.Length == 0)
            return (0, 0);
        var first = (int)(file.Offset / _torrent.PieceLength);
        var last = (int)((file.EndOffset - 1) / _torrent.PieceLength);
        return (first, last - first + 1);
    }

    /// <summary>The index of the file holding byte <paramref name="offset"/> (skipping zero-length files).</summary>
    private int FileAt(long offset)
    {
        var index = Array.BinarySearch(_offsets, offset);
        if (index < 0)
            index = ~index - 1;
        // Several files (zero-length ones) may start at the same offset: the byte belongs to the last of them.
        while (index + 1 < _offsets.Length && _offsets[index + 1] == offset)
            index++;
        return index;
    }
}
