using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace P2PShare.Tests.Peers;

/// <summary>
/// A scriptable BitTorrent peer on a raw TCP socket, written independently of the client's codecs so a
/// test can send what no well-behaved client would: out-of-range requests, request floods, any raw bytes.
/// It performs the BEP 3 handshake, then a background reader (started with <see cref="StartReading"/>, so a
/// test can first let the remote's send buffers fill) tracks choke state, blocks received and the
/// connection's end.
/// </summary>
public sealed class MisbehavingPeer : IAsyncDisposable
{
    public const int BlockLength = 16 * 1024;
    private const string Protocol = "BitTorrent protocol";
    private const int HandshakeLength = 68;
    // A frame beyond this is a protocol violation by the remote, not something to buffer.
    private const int MaxFrameLength = BlockLength + 13 + (1 << 20);

    private readonly Socket _socket;
    private readonly NetworkStream _stream;
    private readonly CancellationTokenSource _stop = new();
    private readonly TaskCompletionSource<string> _closed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _unchoked = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly SemaphoreSlim _sendLock = new(1, 1);
    private Task? _reader;
    private readonly System.Collections.Concurrent.ConcurrentQueue<ReceivedBlock> _blocks = new();
    private long _blocksReceived;
    private long _messagesReceived;
    private int _disposed;

    private MisbehavingPeer(Socket socket, byte[] remotePeerId)
    {
        _socket = socket;
        _stream = new NetworkStream(socket, ownsSocket: false);
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

    public const int KeptBlocks = 64;

    public long MessagesReceived => Interlocked.Read(ref _messagesReceived);

    /// <summary>Completes with a reason when the remote closes or resets the connection (only while reading).</summary>
    public Task<string> Closed => _closed.Task;

    public bool IsClosed => _closed.Task.IsCompleted;

    /// <summary>Connects, sends our handshake and checks the remote's names <paramref name="infoHash"/>.</summary>
    public static async Task<MisbehavingPeer> ConnectAsync(IPEndPoint remote, byte[] infoHash, TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfNotEqual(infoHash.Length, 20);
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout);
        var socket = new Socket(remote.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(remote, deadline.Token).ConfigureAwait(false);
            var ours = new byte[HandshakeLength];
            ours[0] = (byte)Protocol.Length;
            Encoding.ASCII.GetBytes(Protocol, ours.AsSpan(1));
            infoHash.CopyTo(ours, 28);
            var peerId = Encoding.ASCII.GetBytes("-MB0001-");
            peerId.CopyTo(ours, 48);
            Random.Shared.NextBytes(ours.AsSpan(48 + peerId.Length, 20 - peerId.Length));
            await socket.SendAsync(ours, SocketFlags.None, deadline.Token).ConfigureAwait(false);

            var theirs = new byte[HandshakeLength];
            await ReadExactlyAsync(socket, theirs, deadline.Token).ConfigureAwait(false);
            if (theirs[0] != Protocol.Length || Encoding.ASCII.GetString(theirs, 1, Protocol.Length) != Protocol)
                throw new InvalidDataException("the remote did not answer with a BitTorrent handshake");
            if (!theirs.AsSpan(28, 20).SequenceEqual(infoHash))
                throw new InvalidDataException("the remote's handshake names another info-hash");
            return new MisbehavingPeer(socket, theirs[48..68]);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>Starts the background reader. Until then nothing is read, so the remote's sends back up.</summary>
    public void StartReading() => _reader ??= Task.Run(ReadLoopAsync);

    /// <summary>A bitfield message for <paramref name="pieceCount"/> pieces with none set (we have nothing).</summary>
    public Task SendEmptyBitfieldAsync(int pieceCount, CancellationToken cancellationToken = default) =>
        SendMessageAsync(5, new byte[(pieceCount + 7) / 8], cancellationToken);

    public Task SendInterestedAsync(CancellationToken cancellationToken = default) => SendMessageAsync(2, ReadOnlyMemory<byte>.Empty, cancellationToken);

    public Task SendRequestAsync(int index, int begin, int length, CancellationToken cancellationToken = default) =>
        SendRawAsync(RequestBytes(index, begin, length), cancellationToken);

    /// <summary>One framed message: length prefix, id, payload.</summary>
    public Task SendMessageAsync(byte id, ReadOnlyMemory<byte> payload, CancellationToken cancellationToken = default)
    {
        var frame = new byte[5 + payload.Length];
        BinaryPrimitives.WriteInt32BigEndian(frame, 1 + payload.Length);
        frame[4] = id;
        payload.Span.CopyTo(frame.AsSpan(5));
        return SendRawAsync(frame, cancellationToken);
    }

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
    public static byte[] RequestBytes(int index, int begin, int length)
    {
        var frame = new byte[17];
        BinaryPrimitives.WriteInt32BigEndian(frame, 13);
        frame[4] = 6;
        BinaryPrimitives.WriteInt32BigEndian(frame.AsSpan(5), index);
        BinaryPrimitives.WriteInt32BigEndian(frame.AsSpan(9), begin);
        BinaryPrimitives.WriteInt32BigEndian(frame.AsSpan(13), length);
        return frame;
    }

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
        var header = new byte[4];
        var payload = new byte[MaxFrameLength];
        try
        {
            while (true)
            {
                await ReadExactlyAsync(_socket, header, _stop.Token).ConfigureAwait(false);
                var length = BinaryPrimitives.ReadInt32BigEndian(header);
                if (length < 0 || length > MaxFrameLength)
                {
                    _closed.TrySetResult($"remote sent a frame of {length} bytes");
                    return;
                }
                if (length == 0)
                    continue; // keep-alive
                await ReadExactlyAsync(_socket, payload.AsMemory(0, length), _stop.Token).ConfigureAwait(false);
                Interlocked.Increment(ref _messagesReceived);
                switch (payload[0])
                {
                    case 0:
                        IsChoked = true;
                        break;
                    case 1:
                        IsChoked = false;
                        _unchoked.TrySetResult();
                        break;
                    case 5:
                        RemoteBitfield = payload[1..length];
                        break;
                    case 7 when length >= 9:
                        if (Interlocked.Increment(ref _blocksReceived) <= KeptBlocks)
                        {
                            _blocks.Enqueue(new ReceivedBlock(BinaryPrimitives.ReadInt32BigEndian(payload.AsSpan(1)),
                                BinaryPrimitives.ReadInt32BigEndian(payload.AsSpan(5)), payload[9..length]));
                        }
                        break;
                }
            }
        }
        catch (EndOfStreamException)
        {
            _closed.TrySetResult("closed by the remote");
        }
        catch (SocketException error)
        {
            _closed.TrySetResult($"socket error: {error.SocketErrorCode}");
        }
        catch (OperationCanceledException)
        {
            _closed.TrySetResult("stopped by the test");
        }
        catch (ObjectDisposedException)
        {
            _closed.TrySetResult("stopped by the test");
        }
    }

    private static async Task ReadExactlyAsync(Socket socket, Memory<byte> buffer, CancellationToken cancellationToken)
    {
        while (buffer.Length > 0)
        {
            var read = await socket.ReceiveAsync(buffer, SocketFlags.None, cancellationToken).ConfigureAwait(false);
            if (read == 0)
                throw new EndOfStreamException();
            buffer = buffer[read..];
        }
    }
}
