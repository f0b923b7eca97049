using System.IO.Pipelines;

namespace P2PShare.Tests.Support;

/// <summary>
/// One end of an in-memory connection: reads what the other end writes, over two <see cref="Pipe"/>s.
/// Disposing an end completes its writer, so the other end reads end of stream. Written bytes are readable
/// as soon as the write completes (each write is flushed).
/// </summary>
public sealed class InMemoryDuplexStream : Stream
{
    private readonly PipeReader _reader;
    private readonly PipeWriter _writer;
    private readonly Stream _readStream;
    private readonly Stream _writeStream;
    private int _disposed;

    private InMemoryDuplexStream(PipeReader reader, PipeWriter writer)
    {
        _reader = reader;
        _writer = writer;
        _readStream = reader.AsStream();
        _writeStream = writer.AsStream();
    }

    /// <summary>Bytes written by this end so far.</summary>
    public long BytesWritten { get; private set; }

    /// <summary>Write calls made on this end so far (each is one send on a real socket).</summary>
    public int Writes { get; private set; }

    public static (InMemoryDuplexStream A, InMemoryDuplexStream B) CreatePair()
    {
        var aToB = new Pipe();
        var bToA = new Pipe();
        return (new InMemoryDuplexStream(bToA.Reader, aToB.Writer), new InMemoryDuplexStream(aToB.Reader, bToA.Writer));
    }

    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => true;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    public override int Read(byte[] buffer, int offset, int count) => _readStream.Read(buffer, offset, count);

    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
        _readStream.ReadAsync(buffer, cancellationToken);

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        _readStream.ReadAsync(buffer, offset, count, cancellationToken);

    public override void Write(byte[] buffer, int offset, int count)
    {
        _writeStream.Write(buffer, offset, count);
        BytesWritten += count;
        Writes++;
    }

    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        await _writeStream.WriteAsync(buffer, cancellationToken).ConfigureAwait(false);
        await _writeStream.FlushAsync(cancellationToken).ConfigureAwait(false);
        BytesWritten += buffer.Length;
        Writes++;
    }

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override void Flush() => _writeStream.Flush();

    public override Task FlushAsync(CancellationToken cancellationToken) => _writeStream.FlushAsync(cancellationToken);

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing && Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            _writer.Complete();
            _reader.Complete();
        }
        base.Dispose(disposing);
    }
}
