using System.Net;

namespace P2PShare.Networking.Utp;

/// <summary>
/// A uTP connection as a duplex stream of bytes, for the peer wire protocol to run over. Reads return what has
/// arrived in order (0 once the peer's FIN is reached); writes return once the bytes are buffered for sending (they
/// wait while the send buffer is full). Disposing sends what is buffered, then a FIN; the manager finishes it in the
/// background. Use the async methods: the synchronous ones block a thread.
/// </summary>
internal sealed class UtpStream : Stream
{
    private readonly UtpConnection _connection;

    internal UtpStream(UtpConnection connection) => _connection = connection;

    public IPEndPoint RemoteEndPoint => _connection.Remote;

    /// <summary>True when the peer dialled us.</summary>
    public bool IsIncoming => _connection.IsIncoming;

    public UtpConnectionStatistics Statistics => _connection.Statistics;

    internal UtpConnection Connection => _connection;

    public override string ToString() => $"uTP {RemoteEndPoint}: {_connection.Describe()}";

    public override bool CanRead => true;
    public override bool CanWrite => true;
    public override bool CanSeek => false;
    public override long Length => throw new NotSupportedException();

    public override long Position
    {
        get => throw new NotSupportedException();
        set => throw new NotSupportedException();
    }

    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
        _connection.ReadAsync(buffer, cancellationToken);

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        _connection.ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override int Read(byte[] buffer, int offset, int count) =>
        _connection.ReadAsync(buffer.AsMemory(offset, count), CancellationToken.None).AsTask().GetAwaiter().GetResult();

    public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default) =>
        _connection.WriteAsync(buffer, cancellationToken);

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        _connection.WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override void Write(byte[] buffer, int offset, int count) =>
        _connection.WriteAsync(buffer.AsMemory(offset, count), CancellationToken.None).AsTask().GetAwaiter().GetResult();

    /// <summary>Nothing to do: written bytes go out as the windows allow.</summary>
    public override void Flush()
    {
    }

    public override Task FlushAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    /// <summary>Ends the connection at once with a RESET (no FIN, buffered data dropped).</summary>
    public void Abort() => _connection.Abort(new IOException("aborted by the local side"), notifyPeer: true);

    protected override void Dispose(bool disposing)
    {
        if (disposing)
            _connection.Close();
        base.Dispose(disposing);
    }
}
