using Microsoft.Win32.SafeHandles;

namespace P2PShare.Metainfo.Hashing;

/// <summary>
/// Reads any byte range of a torrent's data, seen as its sources laid end to end, from several threads at once.
/// Each file is opened once and shared by all readers (positional reads need no seek), so the kernel sees one nearly
/// sequential stream per file and its read-ahead works; a file is closed as soon as all its bytes have been read.
/// </summary>
internal sealed class HashSourceReader : IDisposable
{
    private readonly IReadOnlyList<HashSource> _sources;
    private readonly long[] _starts;
    private readonly long[] _unread;
    private readonly SafeFileHandle?[] _handles;
    private readonly bool[] _absent;
    private readonly bool _tolerateMissing;
    private readonly Lock _openLock = new();

    public HashSourceReader(IReadOnlyList<HashSource> sources, bool tolerateMissing)
    {
        _sources = sources;
        _tolerateMissing = tolerateMissing;
        _starts = new long[sources.Count];
        _unread = new long[sources.Count];
        _handles = new SafeFileHandle?[sources.Count];
        _absent = new bool[sources.Count];
        long position = 0;
        for (var i = 0; i < sources.Count; i++)
        {
            _starts[i] = position;
            _unread[i] = sources[i].Length;
            position = checked(position + sources[i].Length);
        }
        TotalLength = position;
    }

    public long TotalLength { get; }

    /// <summary>
    /// Fills <paramref name="destination"/> with the data from <paramref name="position"/> on. Padding reads as zeros;
    /// bytes of a missing or short file (when tolerated) read as zeros and are marked in <paramref name="gaps"/>.
    /// </summary>
    public void Read(long position, Span<byte> destination, ChunkGaps gaps)
    {
        var index = SourceAt(position);
        var filled = 0;
        while (filled < destination.Length)
        {
            var source = _sources[index];
            var offsetInSource = position + filled - _starts[index];
            var want = (int)Math.Min(destination.Length - filled, source.Length - offsetInSource);
            if (want > 0)
            {
                var target = destination.Slice(filled, want);
                var got = ReadSource(index, target, offsetInSource);
                if (got < want)
                {
                    target[got..].Clear();
                    gaps.Mark(filled + got, want - got);
                }
                if (Interlocked.Add(ref _unread[index], -want) == 0)
                    Interlocked.Exchange(ref _handles[index], null)?.Dispose();
                filled += want;
            }
            index++;
        }
    }

    public void Dispose()
    {
        for (var i = 0; i < _handles.Length; i++)
            Interlocked.Exchange(ref _handles[i], null)?.Dispose();
    }

    /// <summary>The first source with bytes at <paramref name="position"/> (empty sources are skipped).</summary>
    private int SourceAt(long position)
    {
        int low = 0, high = _starts.Length - 1;
        while (low < high)
        {
            var middle = (low + high + 1) / 2;
            if (_starts[middle] <= position)
                low = middle;
            else
                high = middle - 1;
        }
        while (_sources[low].Length == 0 || _starts[low] + _sources[low].Length <= position)
            low++;
        return low;
    }

    private int ReadSource(int index, Span<byte> destination, long offset)
    {
        var source = _sources[index];
        if (source.Path is null)
        {
            destination.Clear();
            return destination.Length;
        }
        var handle = HandleFor(index);
        if (handle is null)
            return 0;
        var total = 0;
        while (total < destination.Length)
        {
            var read = RandomAccess.Read(handle, destination[total..], offset + total);
            if (read == 0)
                break;
            total += read;
        }
        if (total < destination.Length && !_tolerateMissing)
        {
            var onDisk = offset + total;
            throw new IOException($"'{source.Path}' is shorter than expected: {onDisk} bytes, expected {source.Length}");
        }
        return total;
    }

    /// <summary>The shared handle of a file, opened on first use; null when it is missing and that is tolerated.</summary>
    private SafeFileHandle? HandleFor(int index)
    {
        var handle = Volatile.Read(ref _handles[index]);
        if (handle is not null)
            return handle;
        lock (_openLock)
        {
            if (_handles[index] is null && !_absent[index])
                _handles[index] = Open(index);
            return _handles[index];
        }
    }

    private SafeFileHandle? Open(int index)
    {
        var path = _sources[index].Path!;
        try
        {
            return File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, FileOptions.SequentialScan);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            if (!_tolerateMissing)
                throw new FileNotFoundException($"file not found: '{path}'", path, e);
            _absent[index] = true;
            return null;
        }
    }
}
