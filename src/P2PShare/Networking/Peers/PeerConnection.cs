using System.Buffers;
using System.IO.Pipelines;
using System.Net;
using System.Net.Sockets;
using P2PShare.Metainfo;
using P2PShare.Networking.Encryption;
using P2PShare.Protocol.Wire;

namespace P2PShare.Networking.Peers;

/// <summary>
/// One connection to a peer after a successful handshake, over any duplex stream (TCP today; uTP and
/// MSE-encrypted streams plug in the same way). Receiving is framed over a <see cref="PipeReader"/> (messages
/// are handed out as slices of its buffers, no copies); sends are serialized by a lock so whole messages never
/// interleave.
/// </summary>
internal sealed class PeerConnection : IAsyncDisposable
{
    private static readonly StreamPipeReaderOptions ReaderOptions = new(bufferSize: 256 * 1024, minimumReadSize: 64 * 1024, leaveOpen: true);
    private readonly Stream _stream;
    private readonly PipeReader _reader;
    private readonly SemaphoreSlim _sendLock = new(1, 1);
    private const string ClosedDuringHandshake = "connection closed during the handshake";
    private int _disposed;

    private PeerConnection(Stream stream, PipeReader reader, IPEndPoint remoteEndPoint, Handshake remote, bool isOutgoing, string transport)
    {
        _stream = stream;
        _reader = reader;
        Remote = remote;
        IsOutgoing = isOutgoing;
        RemoteEndPoint = remoteEndPoint;
        Transport = transport;
    }

    public Handshake Remote { get; }

    public IPEndPoint RemoteEndPoint { get; }

    public bool IsOutgoing { get; }

    /// <summary>How the bytes travel ("tcp", "utp", "tcp+rc4", ...), for peer lists and logs.</summary>
    public string Transport { get; }

    /// <summary>Dials over TCP and handshakes (a convenience over <see cref="TcpPeerTransport"/>).</summary>
    public static Task<PeerConnection> ConnectAsync(IPEndPoint endPoint, Handshake ours, TimeSpan timeout, CancellationToken cancellationToken) =>
        ConnectAsync(TcpPeerTransport.Instance, endPoint, ours, timeout, cancellationToken);

    /// <summary>
    /// Opens a stream with <paramref name="transport"/> and handshakes; the whole within <paramref name="timeout"/>. When
    /// the handshake fails and the transport says another of its ways may work (<see cref="IPeerTransport.OnHandshakeResult"/>),
    /// dials once more.
    /// </summary>
    public static async Task<PeerConnection> ConnectAsync(IPeerTransport transport, IPEndPoint endPoint, Handshake ours, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var first = new DialAttempt();
        try
        {
            return await ConnectOnceAsync(transport, endPoint, ours, timeout, first, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception error) when (first.SwitchedTransport && !cancellationToken.IsCancellationRequested)
        {
            return await RetryOrRethrowAsync(() => ConnectOnceAsync(transport, endPoint, ours, timeout, new DialAttempt(), cancellationToken), error).ConfigureAwait(false);
        }
    }

    /// <summary>Whether a failed attempt's transport switched to another way of reaching the peer.</summary>
    private sealed class DialAttempt
    {
        public bool SwitchedTransport { get; set; }
    }

    private static async Task<PeerConnection> ConnectOnceAsync(IPeerTransport transport, IPEndPoint endPoint, Handshake ours, TimeSpan timeout, DialAttempt attempt,
        CancellationToken cancellationToken)
    {
        using var timeoutSource = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeoutSource.CancelAfter(timeout);
        Stream? stream = null;
        try
        {
            stream = await transport.ConnectAsync(endPoint, timeoutSource.Token).ConfigureAwait(false);
            var connection = await HandshakeOutgoingAsync(stream, endPoint, ours, transport.NameOf(stream), timeoutSource.Token).ConfigureAwait(false);
            transport.OnHandshakeResult(endPoint, stream, succeeded: true);
            return connection;
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            if (stream is not null)
            {
                attempt.SwitchedTransport = transport.OnHandshakeResult(endPoint, stream, succeeded: false);
                await stream.DisposeAsync().ConfigureAwait(false);
            }
            throw new TimeoutException($"no handshake from {endPoint} within {timeout.TotalSeconds:0} s");
        }
        catch
        {
            if (stream is not null)
            {
                attempt.SwitchedTransport = transport.OnHandshakeResult(endPoint, stream, succeeded: false);
                await stream.DisposeAsync().ConfigureAwait(false);
            }
            throw;
        }
    }

    /// <summary>
    /// Dials with <paramref name="transport"/> under an encryption policy (MSE first under Prefer and Require, a plain
    /// BitTorrent dial after a failed MSE handshake under Prefer) and handshakes. Under Prefer the MSE attempt and the
    /// plain one each get <paramref name="timeout"/>. <see cref="Transport"/> names the method ("tcp+rc4", "tcp").
    /// </summary>
    public static async Task<PeerConnection> ConnectAsync(IPeerTransport transport, IPEndPoint endPoint, Handshake ours, EncryptionPolicy encryption,
        TimeSpan timeout, CancellationToken cancellationToken)
    {
        if (encryption == EncryptionPolicy.Disable)
            return await ConnectPlainAsync(transport, endPoint, ours, timeout, cancellationToken).ConfigureAwait(false);
        var first = new DialAttempt();
        try
        {
            return await ConnectEncryptedOnceAsync(transport, endPoint, ours, encryption, timeout, first, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception error) when (first.SwitchedTransport && !cancellationToken.IsCancellationRequested)
        {
            return await RetryOrRethrowAsync(() => ConnectEncryptedOnceAsync(transport, endPoint, ours, encryption, timeout, new DialAttempt(), cancellationToken), error)
                .ConfigureAwait(false);
        }
    }

    /// <summary>
    /// The one speculative retry over the transport's other way: when it fails too, the first attempt's error is the
    /// one that says why (a peer that closed our handshake says more than a uTP SYN nobody answered).
    /// </summary>
    private static async Task<PeerConnection> RetryOrRethrowAsync(Func<Task<PeerConnection>> retry, Exception firstError)
    {
        try
        {
            return await retry().ConfigureAwait(false);
        }
        catch (Exception) when (firstError is not OperationCanceledException)
        {
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(firstError);
            throw;
        }
    }

    private static async Task<PeerConnection> ConnectPlainAsync(IPeerTransport transport, IPEndPoint endPoint, Handshake ours, TimeSpan timeout,
        CancellationToken cancellationToken)
    {
        try
        {
            return await ConnectAsync(transport, endPoint, ours, timeout, cancellationToken).ConfigureAwait(false);
        }
        catch (PeerProtocolException error) when (error.Message == ClosedDuringHandshake)
        {
            throw new PeerProtocolException($"{ClosedDuringHandshake} (the peer may require encryption, which is disabled)");
        }
        catch (Exception error) when (IsReset(error))
        {
            // A peer that closes on our plain handshake without reading all of it resets instead of closing: the same refusal.
            throw new PeerProtocolException($"{ClosedDuringHandshake} (reset: {error.Message}; the peer may require encryption, which is disabled)");
        }
    }

    private static bool IsReset(Exception error) => error switch
    {
        SocketException { SocketErrorCode: SocketError.ConnectionReset } => true,
        IOException { InnerException: SocketException { SocketErrorCode: SocketError.ConnectionReset } } => true,
        _ => false,
    };

    private static async Task<PeerConnection> ConnectEncryptedOnceAsync(IPeerTransport transport, IPEndPoint endPoint, Handshake ours, EncryptionPolicy encryption,
        TimeSpan timeout, DialAttempt attempt, CancellationToken cancellationToken)
    {
        using var timeoutSource = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeoutSource.CancelAfter(encryption == EncryptionPolicy.Prefer ? timeout * 2 : timeout);
        var options = new MseOptions { StepTimeout = timeout < MseOptions.Default.StepTimeout ? timeout : MseOptions.Default.StepTimeout, HandshakeTimeout = timeout };
        var handshake = new byte[Handshake.Size];
        ours.WriteTo(handshake);
        MseResult? result = null;
        Stream? raw = null;
        try
        {
            // The raw stream (before MSE wraps it) tells which transport carried it (uTP or TCP after a fallback).
            result = await PeerEncryption.ConnectAsync(async token => raw = await transport.ConnectAsync(endPoint, token).ConfigureAwait(false),
                ours.InfoHash, encryption, handshake, options, timeoutSource.Token).ConfigureAwait(false);
            // Our handshake went out already (in the MSE handshake's IA, or first on the plain fallback connection).
            var connection = await ReadOutgoingAnswerAsync(result.Stream, endPoint, ours,
                TransportName(raw is null ? transport.Name : transport.NameOf(raw), result.Method), timeoutSource.Token).ConfigureAwait(false);
            if (raw is not null)
                transport.OnHandshakeResult(endPoint, raw, succeeded: true);
            return connection;
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            if (raw is not null)
                attempt.SwitchedTransport = transport.OnHandshakeResult(endPoint, raw, succeeded: false);
            if (result is not null)
                await result.Stream.DisposeAsync().ConfigureAwait(false);
            throw new TimeoutException($"no handshake from {endPoint} within {timeout.TotalSeconds:0} s");
        }
        catch
        {
            if (raw is not null)
                attempt.SwitchedTransport = transport.OnHandshakeResult(endPoint, raw, succeeded: false);
            if (result is not null)
                await result.Stream.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>
    /// Accepts a connection under an encryption policy: sniffs plain BitTorrent or MSE (SKEY matched against
    /// <paramref name="infoHashes"/>), applies the policy, then reads the BitTorrent handshake over the resulting
    /// stream and answers with <paramref name="answerFor"/>'s handshake. The whole within <paramref name="timeout"/>;
    /// on failure <paramref name="stream"/> is disposed.
    /// </summary>
    public static async Task<PeerConnection> AcceptAsync(Stream stream, IPEndPoint endPoint, string transport, EncryptionPolicy encryption,
        Func<IEnumerable<InfoHash>> infoHashes, Func<InfoHash, Handshake?> answerFor, TimeSpan timeout, CancellationToken cancellationToken)
    {
        using var timeoutSource = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeoutSource.CancelAfter(timeout);
        var options = new MseOptions { StepTimeout = timeout < MseOptions.Default.StepTimeout ? timeout : MseOptions.Default.StepTimeout, HandshakeTimeout = timeout };
        try
        {
            var result = await PeerEncryption.AcceptAsync(stream, encryption, infoHashes, options, timeoutSource.Token).ConfigureAwait(false);
            // Under MSE the torrent is the one whose SKEY matched; the BitTorrent handshake inside must name the same.
            var skey = result.InfoHash;
            return await HandshakeIncomingAsync(result.StreamWithInitialPayload(), endPoint,
                hash => skey is { } chosen && !chosen.Equals(hash) ? null : answerFor(hash), TransportName(transport, result.Method), timeoutSource.Token).ConfigureAwait(false);
        }
        catch
        {
            await stream.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>"tcp", or with the MSE method: "tcp+rc4", "tcp+mse" (MSE handshake, then plaintext).</summary>
    public static string TransportName(string transport, EncryptionMethod method) => method switch
    {
        EncryptionMethod.Rc4 => transport + "+rc4",
        EncryptionMethod.Plaintext => transport + "+mse",
        _ => transport,
    };

    /// <summary>Sends our handshake on an open stream and reads the peer's. The stream is the connection's from here on.</summary>
    public static async Task<PeerConnection> HandshakeOutgoingAsync(Stream stream, IPEndPoint endPoint, Handshake ours, string transport, CancellationToken cancellationToken)
    {
        await SendHandshakeAsync(stream, ours, cancellationToken).ConfigureAwait(false);
        return await ReadOutgoingAnswerAsync(stream, endPoint, ours, transport, cancellationToken).ConfigureAwait(false);
    }

    private static async Task<PeerConnection> ReadOutgoingAnswerAsync(Stream stream, IPEndPoint endPoint, Handshake ours, string transport, CancellationToken cancellationToken)
    {
        var reader = PipeReader.Create(stream, ReaderOptions);
        var remote = await ReadHandshakeAsync(reader, cancellationToken).ConfigureAwait(false);
        if (!remote.InfoHash.Equals(ours.InfoHash))
            throw new PeerProtocolException("peer answered with another info-hash");
        if (remote.PeerId.Equals(ours.PeerId))
            throw new PeerProtocolException("connected to ourselves");
        return new PeerConnection(stream, reader, endPoint, remote, isOutgoing: true, transport);
    }

    /// <summary>Reads an incoming handshake on an accepted TCP socket (a convenience over <see cref="HandshakeIncomingAsync"/>).</summary>
    public static async Task<PeerConnection> AcceptAsync(Socket socket, Func<InfoHash, Handshake?> answerFor, TimeSpan timeout, CancellationToken cancellationToken)
    {
        using var timeoutSource = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeoutSource.CancelAfter(timeout);
        socket.NoDelay = true;
        var stream = new NetworkStream(socket, ownsSocket: true);
        try
        {
            return await HandshakeIncomingAsync(stream, (IPEndPoint)socket.RemoteEndPoint!, answerFor, TcpPeerTransport.Instance.Name, timeoutSource.Token).ConfigureAwait(false);
        }
        catch
        {
            await stream.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>Reads an incoming handshake, asks <paramref name="answerFor"/> for ours (null: we do not serve that torrent) and answers.</summary>
    public static async Task<PeerConnection> HandshakeIncomingAsync(Stream stream, IPEndPoint endPoint, Func<InfoHash, Handshake?> answerFor, string transport, CancellationToken cancellationToken)
    {
        var reader = PipeReader.Create(stream, ReaderOptions);
        var remote = await ReadHandshakeAsync(reader, cancellationToken).ConfigureAwait(false);
        var ours = answerFor(remote.InfoHash) ?? throw new PeerProtocolException($"peer asked for unknown torrent {remote.InfoHash}");
        if (remote.PeerId.Equals(ours.PeerId))
            throw new PeerProtocolException("connected to ourselves");
        await SendHandshakeAsync(stream, ours, cancellationToken).ConfigureAwait(false);
        return new PeerConnection(stream, reader, endPoint, remote, isOutgoing: false, transport);
    }

    /// <summary>Runs until the peer closes, breaks the protocol or the token is cancelled. <paramref name="onMessage"/> must copy any payload it keeps.</summary>
    /// <param name="downloadLimit">When set, each read is paid for before the next, so the sender is slowed by TCP flow control.</param>
    /// <param name="beforeRead">Awaited before each read (the disk queue's room): while it waits, unread data stays in the socket and TCP slows the sender.</param>
    public async Task ReceiveAsync(FrameLimits limits, Action<PeerMessage> onMessage, CancellationToken cancellationToken, TokenBucket? downloadLimit = null,
        Func<CancellationToken, ValueTask>? beforeRead = null)
    {
        long examined = 0;
        while (true)
        {
            if (beforeRead is not null)
                await beforeRead(cancellationToken).ConfigureAwait(false);
            var result = await _reader.ReadAsync(cancellationToken).ConfigureAwait(false);
            if (result.IsCanceled)
            {
                // StopReceiving: leave every byte not yet framed in the pipe for the next reader.
                _reader.AdvanceTo(result.Buffer.Start);
                return;
            }
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

    /// <summary>
    /// Makes a running <see cref="ReceiveAsync"/> return without losing a byte: the connection can then be handed to
    /// another owner (a magnet's metadata phase to its data phase) that calls <see cref="ReceiveAsync"/> again.
    /// </summary>
    public void StopReceiving() => _reader.CancelPendingRead();

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
        if (_stream is NetworkStream network)
        {
            try
            {
                network.Socket.Shutdown(SocketShutdown.Both);
            }
            catch (SocketException)
            {
                // Already reset by the peer.
            }
            catch (ObjectDisposedException)
            {
            }
        }
        await _reader.CompleteAsync().ConfigureAwait(false);
        await _stream.DisposeAsync().ConfigureAwait(false);
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
                throw new PeerProtocolException(ClosedDuringHandshake);
        }
    }
}
