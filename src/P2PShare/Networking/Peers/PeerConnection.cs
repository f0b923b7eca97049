using System.Buffers;
using System.IO.Pipelines;
using System.Net;
using System.Net.Sockets;
using P2PShare.Metainfo;
using P2PShare.Protocol.Wire;

namespace P2PShare.Networking.Peers;

/// <summary>
/// One TCP connection to a peer after a successful handshake. Receiving is framed over a
/// <see cref="PipeReader"/> (messages are handed out as slices of its buffers, no copies);
/// sends are serialized by a lock so whole messages never interleave.
/// </summary>
public sealed class PeerConnection : IAsyncDisposable
{
    private static readonly StreamPipeReaderOptions ReaderOptions = new(bufferSize: 256 * 1024, minimumReadSize: 64 * 1024);
    private readonly Socket _socket;
    private readonly NetworkStream _stream;
    private readonly PipeReader _reader;
    private readonly SemaphoreSlim _sendLock = new(1, 1);
    private int _disposed;

    private PeerConnection(Socket socket, NetworkStream stream, PipeReader reader, Handshake remote, bool isOutgoing)
    {
        _socket = socket;
        _stream = stream;
        _reader = reader;
        Remote = remote;
        IsOutgoing = isOutgoing;
        RemoteEndPoint = (IPEndPoint)socket.RemoteEndPoint!;
    }

    public Handshake Remote { get; }

    public IPEndPoint RemoteEndPoint { get; }

    public bool IsOutgoing { get; }

    public static async Task<PeerConnection> ConnectAsync(IPEndPoint endPoint, Handshake ours, TimeSpan timeout, CancellationToken cancellationToken)
    {
        using var timeoutSource = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeoutSource.CancelAfter(timeout);
        var socket = new Socket(endPoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(endPoint, timeoutSource.Token).ConfigureAwait(false);
            var stream = new NetworkStream(socket, ownsSocket: false);
            await SendHandshakeAsync(stream, ours, timeoutSource.Token).ConfigureAwait(false);
            var reader = PipeReader.Create(stream, ReaderOptions);
            var remote = await ReadHandshakeAsync(reader, timeoutSource.Token).ConfigureAwait(false);
            if (!remote.InfoHash.Equals(ours.InfoHash))
                throw new PeerProtocolException("peer answered with another info-hash");
            if (remote.PeerId.Equals(ours.PeerId))
                throw new PeerProtocolException("connected to ourselves");
            return new PeerConnection(socket, stream, reader, remote, isOutgoing: true);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            socket.Dispose();
            throw new TimeoutException($"no handshake from {endPoint} within {timeout.TotalSeconds:0} s");
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>Reads an incoming handshake, asks <paramref name="answerFor"/> for ours (null: we do not serve that torrent).</summary>
    public static async Task<PeerConnection> AcceptAsync(Socket socket, Func<InfoHash, Handshake?> answerFor, TimeSpan timeout, CancellationToken cancellationToken)
    {
        using var timeoutSource = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeoutSource.CancelAfter(timeout);
        socket.NoDelay = true;
        try
        {
            var stream = new NetworkStream(socket, ownsSocket: false);
            var reader = PipeReader.Create(stream, ReaderOptions);
            var remote = await ReadHandshakeAsync(reader, timeoutSource.Token).ConfigureAwait(false);
            var ours = answerFor(remote.InfoHash) ?? throw new PeerProtocolException($"peer asked for unknown torrent {remote.InfoHash}");
            if (remote.PeerId.Equals(ours.PeerId))
                throw new PeerProtocolException("connected to ourselves");
            await SendHandshakeAsync(stream, ours, timeoutSource.Token).ConfigureAwait(false);
            return new PeerConnection(socket, stream, reader, remote, isOutgoing: false);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>Runs until the peer closes, breaks the protocol or the token is cancelled. <paramref name="onMessage"/> must copy any payload it keeps.</summary>
    /// <param name="downloadLimit">When set, each read is paid for before the next, so the sender is slowed by TCP flow control.</param>
    public async Task ReceiveAsync(FrameLimits limits, Action<PeerMessage> onMessage, CancellationToken cancellationToken, TokenBucket? downloadLimit = null)
    {
        long examined = 0;
        while (true)
        {
            var result = await _reader.ReadAsync(cancellationToken).ConfigureAwait(false);
            var buffer = result.Buffer;
            if (downloadLimit is not null && buffer.Length > examined)
                await downloadLimit.ConsumeAsync((int)(buffer.Length - examined), cancellationToken).ConfigureAwait(false);
            try
            {
                while (MessageReader.TryRead(ref buffer, limits, out var message))
                    onMessage(message);
            }
            finally
            {
                _reader.AdvanceTo(buffer.Start, buffer.End);
            }
            // Bytes left in the buffer were already paid for.
            examined = buffer.Length;
            if (result.IsCompleted)
                return;
        }
    }

    /// <summary>Sends bytes that hold one or more whole messages.</summary>
    public async ValueTask SendAsync(ReadOnlyMemory<byte> messages, CancellationToken cancellationToken)
    {
        await _sendLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await _stream.WriteAsync(messages, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _sendLock.Release();
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
            return;
        try
        {
            _socket.Shutdown(SocketShutdown.Both);
        }
        catch (SocketException)
        {
            // Already reset by the peer.
        }
        catch (ObjectDisposedException)
        {
        }
        await _reader.CompleteAsync().ConfigureAwait(false);
        await _stream.DisposeAsync().ConfigureAwait(false);
        _socket.Dispose();
    }

    private static async Task SendHandshakeAsync(Stream stream, Handshake ours, CancellationToken cancellationToken)
    {
        var bytes = new byte[Handshake.Size];
        ours.WriteTo(bytes);
        await stream.WriteAsync(bytes, cancellationToken).ConfigureAwait(false);
    }

    private static async Task<Handshake> ReadHandshakeAsync(PipeReader reader, CancellationToken cancellationToken)
    {
        while (true)
        {
            var result = await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
            var buffer = result.Buffer;
            if (buffer.Length >= 1 && buffer.FirstSpan[0] != 19)
                throw new PeerProtocolException("not a BitTorrent handshake");
            if (buffer.Length >= Handshake.Size)
            {
                var bytes = new byte[Handshake.Size];
                buffer.Slice(0, Handshake.Size).CopyTo(bytes);
                reader.AdvanceTo(buffer.GetPosition(Handshake.Size));
                return Handshake.Parse(bytes);
            }
            reader.AdvanceTo(buffer.Start, buffer.End);
            if (result.IsCompleted)
                throw new PeerProtocolException("connection closed during the handshake");
        }
    }
}
