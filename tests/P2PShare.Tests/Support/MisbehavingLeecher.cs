using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;

namespace P2PShare.Tests.Support;

/// <summary>
/// A scriptable leecher on a raw TCP socket that dials a seeder, written independently of the client's codecs
/// (see <see cref="RawPeerWire"/>) so a test can send what no well-behaved client would: out-of-range requests,
/// request floods, any raw bytes. It performs the BEP 3 handshake, then a background reader (started with
/// <see cref="StartReading"/>, so a test can first let the remote's send buffers fill) tracks choke state,
/// blocks received and the connection's end.
/// </summary>
public sealed class MisbehavingLeecher : IAsyncDisposable
{
    public const int BlockLength = RawPeerWire.BlockLength;

    public const int KeptBlocks = 64;

    // A frame beyond this is a protocol violation by the remote, not something to buffer.
    private const int MaxFrameLength = BlockLength + 13 + (1 << 20);

    private readonly Socket _socket;
    private readonly NetworkStream _stream;
    private readonly CancellationTokenSource _stop = new();
    private readonly TaskCompletionSource<string> _closed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _unchoked = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly SemaphoreSlim _sendLock = new(1, 1);
    private readonly ConcurrentQueue<ReceivedBlock> _blocks = new();
    private readonly ConcurrentQueue<(byte ExtendedId, byte[] Body)> _extended = new();
    private Task? _reader;
    private long _blocksReceived;
    private long _messagesReceived;
    private int _disposed;

    private MisbehavingLeecher(Socket socket, NetworkStream stream, byte[] remotePeerId)
    {
        _socket = socket;
        _stream = stream;
        RemotePeerId = remotePeerId;
    }

    /// <summary>The 20-byte peer id from the remote's handshake.</summary>
    public byte[] RemotePeerId { get; }

    /// <summary>The remote's bitfield message payload, once received.</summary>
    public byte[]? RemoteBitfield { get; private set; }

    public bool IsChoked { get; private set; } = true;

    public long BlocksReceived => Interlocked.Read(ref _blocksReceived);

    /// <summary>The first blocks received (at most <see cref="KeptBlocks"/>), with their data.</summary>
    public IReadOnlyList<ReceivedBlock> Blocks => _blocks.ToArray();

    public long MessagesReceived => Interlocked.Read(ref _messagesReceived);

    /// <summary>The first BEP 10 extended messages received (at most <see cref="KeptBlocks"/>): extended id and body.</summary>
    public IReadOnlyList<(byte ExtendedId, byte[] Body)> ExtendedMessages => _extended.ToArray();

    /// <summary>Completes with a reason when the remote closes or resets the connection (only while reading).</summary>
    public Task<string> Closed => _closed.Task;

    public bool IsClosed => _closed.Task.IsCompleted;

    /// <summary>Connects, sends our handshake (with the BEP 10 bit when <paramref name="extensionProtocol"/>) and checks the remote's names <paramref name="infoHash"/>.</summary>
    public static async Task<MisbehavingLeecher> ConnectAsync(IPEndPoint remote, byte[] infoHash, TimeSpan timeout, CancellationToken cancellationToken = default,
        bool extensionProtocol = false)
    {
        ArgumentOutOfRangeException.ThrowIfNotEqual(infoHash.Length, 20);
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout);
        var socket = new Socket(remote.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        NetworkStream? stream = null;
        try
        {
            await socket.ConnectAsync(remote, deadline.Token).ConfigureAwait(false);
            stream = new NetworkStream(socket, ownsSocket: false);
            await stream.WriteAsync(RawPeerWire.Handshake(infoHash, RawPeerWire.NewPeerId(), extensionProtocol), deadline.Token).ConfigureAwait(false);
            var theirs = new byte[RawPeerWire.HandshakeLength];
            await stream.ReadExactlyAsync(theirs, deadline.Token).ConfigureAwait(false);
            if (RawPeerWire.HandshakeProblem(theirs, infoHash) is { } problem)
                throw new InvalidDataException($"the remote's answer: {problem}");
            return new MisbehavingLeecher(socket, stream, RawPeerWire.PeerIdOf(theirs));
        }
        catch
        {
            if (stream is not null)
                await stream.DisposeAsync().ConfigureAwait(false);
            socket.Dispose();
            throw;
        }
    }

    /// <summary>Starts the background reader. Until then nothing is read, so the remote's sends back up.</summary>
    public void StartReading() => _reader ??= Task.Run(ReadLoopAsync);

    /// <summary>A bitfield message for <paramref name="pieceCount"/> pieces with none set (we have nothing).</summary>
    public Task SendEmptyBitfieldAsync(int pieceCount, CancellationToken cancellationToken = default) =>
        SendMessageAsync(RawPeerWire.Bitfield, new byte[(pieceCount + 7) / 8], cancellationToken);

    public Task SendInterestedAsync(CancellationToken cancellationToken = default) =>
        SendMessageAsync(RawPeerWire.Interested, ReadOnlyMemory<byte>.Empty, cancellationToken);

    public Task SendRequestAsync(int index, int begin, int length, CancellationToken cancellationToken = default) =>
        SendRawAsync(RequestBytes(index, begin, length), cancellationToken);

    /// <summary>One framed message: length prefix, id, payload.</summary>
    public Task SendMessageAsync(byte id, ReadOnlyMemory<byte> payload, CancellationToken cancellationToken = default) =>
        SendRawAsync(RawPeerWire.Message(id, payload.Span), cancellationToken);

    /// <summary>Sends bytes as they are: no framing, no checks.</summary>
    public async Task SendRawAsync(ReadOnlyMemory<byte> bytes, CancellationToken cancellationToken = default)
    {
        await _sendLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await _stream.WriteAsync(bytes, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _sendLock.Release();
        }
    }

    /// <summary>The 17 bytes of a request message, to batch many into one <see cref="SendRawAsync"/>.</summary>
    public static byte[] RequestBytes(int index, int begin, int length) => RawPeerWire.RequestMessage(index, begin, length);

    /// <summary>Waits for an unchoke; false on timeout or when the connection closes first.</summary>
    public async Task<bool> WaitUntilUnchokedAsync(TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        StartReading();
        var first = await Task.WhenAny(_unchoked.Task, _closed.Task, Task.Delay(timeout, cancellationToken)).ConfigureAwait(false);
        return first == _unchoked.Task;
    }

    /// <summary>Waits for the remote to end the connection; false when it is still open after <paramref name="timeout"/>.</summary>
    public async Task<bool> WaitForDisconnectAsync(TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        StartReading();
        var first = await Task.WhenAny(_closed.Task, Task.Delay(timeout, cancellationToken)).ConfigureAwait(false);
        return first == _closed.Task;
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
            return;
        await _stop.CancelAsync().ConfigureAwait(false);
        _socket.Dispose();
        if (_reader is not null)
            await _reader.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        await _stream.DisposeAsync().ConfigureAwait(false);
        _stop.Dispose();
        _sendLock.Dispose();
    }

    private async Task ReadLoopAsync()
    {
        var reader = new RawFrameReader(_stream, MaxFrameLength);
        try
        {
            while (true)
            {
                var message = await reader.ReadAsync(_stop.Token).ConfigureAwait(false);
                Interlocked.Increment(ref _messagesReceived);
                switch (message.Span[0])
                {
                    case RawPeerWire.Choke:
                        IsChoked = true;
                        break;
                    case RawPeerWire.Unchoke:
                        IsChoked = false;
                        _unchoked.TrySetResult();
                        break;
                    case RawPeerWire.Bitfield:
                        RemoteBitfield = message.Span[1..].ToArray();
                        break;
                    case RawPeerWire.Extended when message.Length >= 2:
                        if (_extended.Count < KeptBlocks)
                            _extended.Enqueue(RawPeerWire.ParseExtended(message.Span)!.Value);
                        break;
                    case RawPeerWire.Piece when message.Length >= 9:
                        // Only the first blocks are copied out: a test may receive thousands.
                        if (Interlocked.Increment(ref _blocksReceived) <= KeptBlocks)
                            _blocks.Enqueue(RawPeerWire.ParsePiece(message.Span)!);
                        break;
                }
            }
        }
        catch (FrameTooLongException error)
        {
            _closed.TrySetResult(error.Message);
        }
        catch (EndOfStreamException)
        {
            _closed.TrySetResult("closed by the remote");
        }
        catch (Exception error) when (error is OperationCanceledException or ObjectDisposedException || _stop.IsCancellationRequested)
        {
            _closed.TrySetResult("stopped by the test");
        }
        catch (IOException error)
        {
            // NetworkStream wraps a reset or a broken connection in an IOException around the SocketException.
            var code = (error.InnerException as SocketException)?.SocketErrorCode.ToString() ?? error.Message;
            _closed.TrySetResult($"socket error: {code}");
        }
    }
}
