using System.Buffers;

namespace P2PShare.Networking.Utp;

/// <summary>A fixed-capacity FIFO of bytes over one pooled array (a connection's unsent and received data).</summary>
internal sealed class ByteRing
{
    private byte[]? _buffer;
    private int _start;

    public ByteRing(int capacity)
    {
        _buffer = ArrayPool<byte>.Shared.Rent(capacity);
        Capacity = capacity;
    }

    public int Capacity { get; }
    public int Count { get; private set; }
    public int Free => Capacity - Count;

    public int Write(ReadOnlySpan<byte> source)
    {
        var buffer = _buffer ?? throw new ObjectDisposedException(nameof(ByteRing));
        var n = Math.Min(source.Length, Free);
        var end = (_start + Count) % Capacity;
        var first = Math.Min(n, Capacity - end);
        source[..first].CopyTo(buffer.AsSpan(end));
        source[first..n].CopyTo(buffer);
        Count += n;
        return n;
    }

    public int Read(Span<byte> destination)
    {
        var buffer = _buffer ?? throw new ObjectDisposedException(nameof(ByteRing));
        var n = Math.Min(destination.Length, Count);
        var first = Math.Min(n, Capacity - _start);
        buffer.AsSpan(_start, first).CopyTo(destination);
        buffer.AsSpan(0, n - first).CopyTo(destination[first..]);
        _start = (_start + n) % Capacity;
        Count -= n;
        if (Count == 0)
            _start = 0;
        return n;
    }

    public void Release()
    {
        if (_buffer is { } buffer)
            ArrayPool<byte>.Shared.Return(buffer);
        _buffer = null;
        Count = 0;
    }
}
