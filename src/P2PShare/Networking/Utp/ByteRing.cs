using System.Buffers;

namespace P2PShare.Networking.Utp;

/// <summary>
/// A bounded FIFO of bytes over one pooled array (a connection's unsent and received data). The array starts small
/// and doubles up to <see cref="Capacity"/> only while data actually waits: a window sized for a long fat link costs
/// memory only on connections that fill it.
/// </summary>
internal sealed class ByteRing
{
    private const int InitialBytes = 64 * 1024;
    private byte[]? _buffer;
    private int _start;

    public ByteRing(int capacity)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(capacity);
        Capacity = capacity;
        _buffer = ArrayPool<byte>.Shared.Rent(Math.Min(capacity, InitialBytes));
    }

    public int Capacity { get; }
    public int Count { get; private set; }
    public int Free => Capacity - Count;

    /// <summary>Bytes held by the backing array now (grows with use, never beyond what Capacity needs).</summary>
    internal int Allocated => _buffer?.Length ?? 0;

    public int Write(ReadOnlySpan<byte> source)
    {
        var n = Math.Min(source.Length, Free);
        var buffer = EnsureRoom(Count + n);
        var size = buffer.Length;
        var end = (_start + Count) % size;
        var first = Math.Min(n, size - end);
        source[..first].CopyTo(buffer.AsSpan(end));
        source[first..n].CopyTo(buffer);
        Count += n;
        return n;
    }

    public int Read(Span<byte> destination)
    {
        var buffer = _buffer ?? throw new ObjectDisposedException(nameof(ByteRing));
        var size = buffer.Length;
        var n = Math.Min(destination.Length, Count);
        var first = Math.Min(n, size - _start);
        buffer.AsSpan(_start, first).CopyTo(destination);
        buffer.AsSpan(0, n - first).CopyTo(destination[first..]);
        _start = (_start + n) % size;
        Count -= n;
        if (Count == 0)
            _start = 0;
        return n;
    }

    private byte[] EnsureRoom(int needed)
    {
        var buffer = _buffer ?? throw new ObjectDisposedException(nameof(ByteRing));
        if (needed <= buffer.Length)
            return buffer;
        var size = buffer.Length;
        while (size < needed)
            size *= 2;
        var grown = ArrayPool<byte>.Shared.Rent(Math.Min(size, Capacity));
        // Unwrap into the new array: the data starts at 0 again.
        var first = Math.Min(Count, buffer.Length - _start);
        buffer.AsSpan(_start, first).CopyTo(grown);
        buffer.AsSpan(0, Count - first).CopyTo(grown.AsSpan(first));
        ArrayPool<byte>.Shared.Return(buffer);
        _start = 0;
        return _buffer = grown;
    }

    public void Release()
    {
        if (_buffer is { } buffer)
            ArrayPool<byte>.Shared.Return(buffer);
        _buffer = null;
        Count = 0;
    }
}
