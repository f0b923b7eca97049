using P2PShare.Networking;

namespace P2PShare.Fuzz.Targets;

/// <summary>
/// The other end of a connection, played from a script: reads return the script's bytes at most
/// <see cref="ChunkSize"/> at a time (so a parser sees its input cut anywhere), then end of stream; writes are counted
/// and dropped. Never waits, so a handshake driven over it finishes (or fails) at once instead of on a timeout.
/// </summary>
internal sealed class ScriptedStream(ReadOnlyMemory<byte> script, int chunkSize = int.MaxValue) : DuplexStream
{
    private ReadOnlyMemory<byte> _remaining = script;

    public int ChunkSize { get; } = Math.Max(1, chunkSize);

    public long Written { get; private set; }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        var count = Math.Min(Math.Min(buffer.Length, ChunkSize), _remaining.Length);
        _remaining.Span[..count].CopyTo(buffer);
        _remaining = _remaining[count..];
        return count;
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        Task.FromResult(Read(buffer.AsSpan(offset, count)));

    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
        cancellationToken.IsCancellationRequested ? ValueTask.FromCanceled<int>(cancellationToken) : ValueTask.FromResult(Read(buffer.Span));

    public override void Write(byte[] buffer, int offset, int count) => Written += count;

    public override void Write(ReadOnlySpan<byte> buffer) => Written += buffer.Length;

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken)
    {
        Written += count;
        return Task.CompletedTask;
    }

    public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        Written += buffer.Length;
        return ValueTask.CompletedTask;
    }

    public override void Flush()
    {
    }

    public override Task FlushAsync(CancellationToken cancellationToken) => Task.CompletedTask;

}
