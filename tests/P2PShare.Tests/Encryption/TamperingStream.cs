using P2PShare.Networking;

namespace P2PShare.Tests.Encryption;

/// <summary>
/// Wraps one end of a test connection: counts what is read, and on the write side can flip bits of the byte
/// at one offset, or stop after some bytes and close (a peer that vanishes mid-handshake).
/// </summary>
internal sealed class TamperingStream(Stream inner, long truncateAfter = long.MaxValue, long flipOffset = -1, byte flipMask = 0) : DuplexStream
{
    private long _written;

    public long BytesRead { get; private set; }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        var n = await inner.ReadAsync(buffer, cancellationToken).ConfigureAwait(false);
        BytesRead += n;
        return n;
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (_written >= truncateAfter)
            throw new IOException("truncated");
        var copy = buffer[..(int)Math.Min(buffer.Length, truncateAfter - _written)].ToArray();
        if (flipOffset >= _written && flipOffset < _written + copy.Length)
            copy[flipOffset - _written] ^= flipMask;
        await inner.WriteAsync(copy, cancellationToken).ConfigureAwait(false);
        _written += copy.Length;
        if (_written >= truncateAfter)
        {
            await inner.DisposeAsync().ConfigureAwait(false);
            throw new IOException("truncated");
        }
    }

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    public override void Flush() => inner.Flush();

    public override Task FlushAsync(CancellationToken cancellationToken) => inner.FlushAsync(cancellationToken);

    protected override void Dispose(bool disposing)
    {
        if (disposing)
            inner.Dispose();
        base.Dispose(disposing);
    }
}
