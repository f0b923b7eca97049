using System.Buffers;

namespace P2PShare.Networking.Encryption;

/// <summary>
/// The read side of an MSE handshake: a fixed pooled buffer over the stream, so the synchronisation scans
/// can look ahead without ever holding more than <see cref="Capacity"/> bytes. What was read beyond the
/// handshake is handed over with <see cref="TakeLeftover"/>.
/// </summary>
internal sealed class MseReadBuffer(Stream stream) : IDisposable
{
    /// <summary>Room for the longest scan (96-byte key + 512 pad + 20-byte hash) with plenty to spare.</summary>
    public const int Capacity = 2048;

    private byte[] _buffer = ArrayPool<byte>.Shared.Rent(Capacity);
    private int _start;
    private int _end;

    public int Available => _end - _start;

    /// <summary>Total bytes received from the stream so far.</summary>
    public long Received { get; private set; }

    public Span<byte> Peek(int count) => _buffer.AsSpan(_start, count);

    public void Consume(int count) => _start += count;

    /// <summary>Waits until <paramref name="count"/> bytes (≤ <see cref="Capacity"/>) are buffered.</summary>
    public async ValueTask FillAsync(int count, string what, CancellationToken cancellationToken)
    {
        if (count > Capacity)
            throw new ArgumentOutOfRangeException(nameof(count));
        if (_buffer.Length - _start < count)
        {
            _buffer.AsSpan(_start, Available).CopyTo(_buffer);
            _end -= _start;
            _start = 0;
        }
        while (Available < count)
            await ReadMoreAsync(what, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Finds <paramref name="pattern"/> within the next <paramref name="maxSkip"/> + pattern bytes, consumes
    /// everything up to and including it and returns how many bytes came before it. Throws when the window is
    /// full without a match: the peer is not speaking MSE with us (or not for this key).
    /// </summary>
    public async ValueTask<int> SyncAsync(ReadOnlyMemory<byte> pattern, int maxSkip, string what, CancellationToken cancellationToken)
    {
        var window = maxSkip + pattern.Length;
        if (_buffer.Length - _start < window)
        {
            _buffer.AsSpan(_start, Available).CopyTo(_buffer);
            _end -= _start;
            _start = 0;
        }
        var searched = 0;
        while (true)
        {
            var visible = Math.Min(Available, window);
            if (visible >= pattern.Length)
            {
                // Resume just before where the last search could have started a match.
                var from = Math.Max(0, searched - pattern.Length + 1);
                var at = _buffer.AsSpan(_start + from, visible - from).IndexOf(pattern.Span);
                if (at >= 0)
                {
                    _start += from + at + pattern.Length;
                    return from + at;
                }
                searched = visible;
            }
            if (visible >= window)
                throw new MseHandshakeException($"{what} not found within {maxSkip} bytes of padding");
            await ReadMoreAsync(what, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Reads exactly <paramref name="destination"/>'s length: buffered bytes first, then the stream (no read-ahead).</summary>
    public async ValueTask ReadExactlyAsync(Memory<byte> destination, string what, CancellationToken cancellationToken)
    {
        var fromBuffer = Math.Min(Available, destination.Length);
        _buffer.AsSpan(_start, fromBuffer).CopyTo(destination.Span);
        _start += fromBuffer;
        destination = destination[fromBuffer..];
        while (!destination.IsEmpty)
        {
            var n = await stream.ReadAsync(destination, cancellationToken).ConfigureAwait(false);
            if (n == 0)
                throw new MseHandshakeException($"the peer closed the connection while we waited for {what}");
            Received += n;
            destination = destination[n..];
        }
    }

    /// <summary>The bytes read beyond the handshake (to be replayed in front of the payload stream).</summary>
    public byte[] TakeLeftover()
    {
        var leftover = _buffer.AsSpan(_start, Available).ToArray();
        _start = _end;
        return leftover;
    }

    public void Dispose()
    {
        var buffer = Interlocked.Exchange(ref _buffer, []);
        if (buffer.Length > 0)
            ArrayPool<byte>.Shared.Return(buffer);
    }

    private async ValueTask ReadMoreAsync(string what, CancellationToken cancellationToken)
    {
        var n = await stream.ReadAsync(_buffer.AsMemory(_end), cancellationToken).ConfigureAwait(false);
        if (n == 0)
            throw new MseHandshakeException($"the peer closed the connection while we waited for {what}");
        _end += n;
        Received += n;
    }
}
