using System.Buffers;
using System.Runtime.CompilerServices;

namespace P2PShare.Networking.Encryption;

/// <summary>
/// The payload stream of an RC4 MSE connection: reads are decrypted in the caller's buffer, writes are
/// encrypted into a pooled buffer before they reach <paramref name="inner"/>. Nothing is allocated per
/// read or write: a read that completes at once needs no state machine, one that waits uses a pooled one. One reader and one writer may run at the same time (each direction has its own cipher).
/// Disposing it disposes the inner stream.
/// </summary>
internal sealed class Rc4Stream(Stream inner, Rc4 encryptor, Rc4 decryptor) : DuplexStream
{
    /// <summary>Largest chunk encrypted per inner write.</summary>
    private const int ChunkSize = 64 * 1024;

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        var n = inner.Read(buffer);
        decryptor.Transform(buffer[..n]);
        return n;
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        // Data already in the socket: decrypt and return without an async state machine.
        var read = inner.ReadAsync(buffer, cancellationToken);
        if (!read.IsCompletedSuccessfully)
            return DecryptWhenReadAsync(read, buffer);
        var n = read.Result;
        decryptor.Transform(buffer.Span[..n]);
        return ValueTask.FromResult(n);
    }

    /// <summary>A read that waits on the socket: its state machine box comes from a pool, not a new one per read.</summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<int> DecryptWhenReadAsync(ValueTask<int> read, Memory<byte> buffer)
    {
        var n = await read.ConfigureAwait(false);
        decryptor.Transform(buffer.Span[..n]);
        return n;
    }

    public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

    public override void Write(ReadOnlySpan<byte> buffer)
    {
        var chunk = ArrayPool<byte>.Shared.Rent(Math.Min(buffer.Length, ChunkSize));
        try
        {
            while (!buffer.IsEmpty)
            {
                var n = Math.Min(buffer.Length, chunk.Length);
                encryptor.Transform(buffer[..n], chunk);
                inner.Write(chunk, 0, n);
                buffer = buffer[n..];
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(chunk);
        }
    }

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        var chunk = ArrayPool<byte>.Shared.Rent(Math.Min(buffer.Length, ChunkSize));
        try
        {
            while (!buffer.IsEmpty)
            {
                var n = Math.Min(buffer.Length, chunk.Length);
                encryptor.Transform(buffer.Span[..n], chunk);
                await inner.WriteAsync(chunk.AsMemory(0, n), cancellationToken).ConfigureAwait(false);
                buffer = buffer[n..];
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(chunk);
        }
    }

    public override void Flush() => inner.Flush();

    public override Task FlushAsync(CancellationToken cancellationToken) => inner.FlushAsync(cancellationToken);

    protected override void Dispose(bool disposing)
    {
        if (disposing)
            inner.Dispose();
        base.Dispose(disposing);
    }

    public override ValueTask DisposeAsync() => inner.DisposeAsync();
}
