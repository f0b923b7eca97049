using System.Buffers;
using System.IO.Pipelines;
using System.Net;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using P2PShare.Protocol.Native;

namespace P2PShare.Networking.Native;

/// <summary>
/// One established connection: a read loop that frames and parses lines, and a single writer loop fed by a
/// queue, so handling a message never waits on the socket (two nodes sending big pieces to each other
/// cannot deadlock). Uploads are read from disk only when their turn comes, one piece buffer at a time.
/// </summary>
internal sealed class NativeConnection : IAsyncDisposable
{
    private readonly Stream _transport;
    private readonly PipeReader _reader;
    private readonly PipeWriter _writer;
    private readonly Channel<Outbound> _outbound = Channel.CreateUnbounded<Outbound>(new UnboundedChannelOptions { SingleReader = true });
    private readonly TaskCompletionSource<string> _overflow = new(TaskCreationOptions.RunContinuationsAsynchronously);
    // Uploads queued and not yet taken by the writer (index -> copies), and those of them the peer cancelled. Both are
    // bounded by the upload queue's limit: a cancel for anything else is ignored, so cancels cannot grow memory.
    private readonly object _uploadsGate = new();
    private readonly Dictionary<int, int> _queuedUploadCopies = [];
    private readonly HashSet<int> _cancelledUploads = [];
    private readonly NativeCodecLimits _limits;
    private readonly NativeLineFramer _framer;
    private readonly ILogger _logger;
    private int _queuedUploads;
    private int _queuedMessages;
    private long _bytesUploaded;

    internal NativeConnection(Stream transport, PipeReader reader, IPEndPoint remote, bool dialled, NativeHandshake remoteHandshake, NativeCodecLimits limits, ILogger logger)
    {
        _transport = transport;
        _reader = reader;
        _writer = PipeWriter.Create(transport, new StreamPipeWriterOptions(leaveOpen: true));
        RemoteEndPoint = remote;
        Dialled = dialled;
        RemoteHandshake = remoteHandshake;
        _limits = limits;
        _framer = new NativeLineFramer(limits.MaxLineLength);
        _logger = logger;
    }

    public IPEndPoint RemoteEndPoint { get; }

    /// <summary>True when this side opened the TCP connection.</summary>
    public bool Dialled { get; }

    public NativeHandshake RemoteHandshake { get; }

    public bool IsEncrypted => _transport is System.Net.Security.SslStream;

    public long BytesUploaded => Interlocked.Read(ref _bytesUploaded);

    internal INativePieceSource? PieceSource { get; set; }

    internal TimeSpan UploadDelayPerPiece { get; set; }

    /// <summary>Uploads queued and cancelled by the peer, not yet skipped by the writer (at most the upload queue's limit).</summary>
    internal int CancelledUploadCount
    {
        get
        {
            lock (_uploadsGate)
                return _cancelledUploads.Count;
        }
    }

    /// <summary>
    /// Queues a message; false when the connection is closing, or when <see cref="NativeCodecLimits.MaxQueuedMessages"/>
    /// are queued already: then the peer does not read what we send and the connection is closed.
    /// </summary>
    public bool Send(NativeMessage message)
    {
        // A "have" goes out at most once per piece, so the torrent bounds those; the rest answer or follow the peer.
        var counted = message is not NativeHave;
        if (counted && Interlocked.Increment(ref _queuedMessages) > _limits.MaxQueuedMessages)
        {
            Interlocked.Decrement(ref _queuedMessages);
            Overflow($"more than {_limits.MaxQueuedMessages} messages queued: the peer does not read them");
            return false;
        }
        if (_outbound.Writer.TryWrite(new Outbound(message, -1)))
            return true;
        if (counted)
            Interlocked.Decrement(ref _queuedMessages);
        return false;
    }

    /// <summary>Queues an upload of a piece; false when too many are queued already.</summary>
    public bool TrySendPiece(int index, int maxQueued)
    {
        lock (_uploadsGate)
        {
            if (_queuedUploads >= maxQueued)
                return false;
            if (!_outbound.Writer.TryWrite(new Outbound(null, index)))
                return false;
            _queuedUploads++;
            _queuedUploadCopies[index] = _queuedUploadCopies.GetValueOrDefault(index) + 1;
            // Asked for again: whatever cancel came before no longer applies.
            _cancelledUploads.Remove(index);
            return true;
        }
    }

    /// <summary>
    /// Extension: the peer withdrew its request; the queued uploads of that piece are skipped. Ignored (false) unless
    /// one is queued: one already being sent goes out anyway.
    /// </summary>
    public bool CancelUpload(int index)
    {
        lock (_uploadsGate)
            return _queuedUploadCopies.ContainsKey(index) && _cancelledUploads.Add(index);
    }

    /// <summary>Runs until the remote closes, breaks the protocol, or <paramref name="cancellationToken"/> fires.</summary>
    public async Task RunAsync(Func<NativeMessage, ValueTask> onMessage, CancellationToken cancellationToken)
    {
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var reading = ReadLoopAsync(onMessage, stop.Token);
        var writing = WriteLoopAsync(stop.Token);
        var first = await Task.WhenAny(reading, writing, _overflow.Task).ConfigureAwait(false);
        await stop.CancelAsync().ConfigureAwait(false);
        _outbound.Writer.TryComplete();
        // Closing the transport unblocks a read or write that does not watch the token.
        _transport.Dispose();
        try
        {
            await Task.WhenAll(reading, writing).ConfigureAwait(false);
        }
        catch when (!first.IsFaulted)
        {
            // The loop that ended second fails because the transport was closed under it.
        }
        catch (Exception) when (first.IsFaulted)
        {
            await first.ConfigureAwait(false);
        }
        if (first == _overflow.Task)
            throw new NativeProtocolException(await _overflow.Task.ConfigureAwait(false));
    }

    /// <summary>Ends the connection from wherever a send found the queue full; <see cref="RunAsync"/> then throws.</summary>
    private void Overflow(string reason)
    {
        if (!_overflow.TrySetResult(reason))
            return;
        _logger.LogWarning("Closing the connection to {Remote}: {Reason}", RemoteEndPoint, reason);
        _outbound.Writer.TryComplete();
    }

    private async Task ReadLoopAsync(Func<NativeMessage, ValueTask> onMessage, CancellationToken cancellationToken)
    {
        while (true)
        {
            var result = await _reader.ReadAsync(cancellationToken).ConfigureAwait(false);
            var buffer = result.Buffer;
            while (true)
            {
                var status = _framer.TryReadLine(ref buffer, out var line);
                if (status == NativeLineStatus.TooLong)
                    throw new NativeProtocolException($"line longer than {_limits.MaxLineLength} bytes");
                if (status == NativeLineStatus.NeedMoreData)
                    break;
                var outcome = NativeMessageReader.TryParse(line, _limits, out var message, out var error);
                if (outcome == NativeParseOutcome.Invalid)
                    _logger.LogDebug("Dropped a message from {Remote}: {Reason}", RemoteEndPoint, error);
                else if (message is not null)
                    await onMessage(message).ConfigureAwait(false);
            }
            _reader.AdvanceTo(buffer.Start, buffer.End);
            if (result.IsCompleted || result.IsCanceled)
                return;
        }
    }

    private async Task WriteLoopAsync(CancellationToken cancellationToken)
    {
        using var json = new NativeMessageWriter();
        while (await _outbound.Reader.WaitToReadAsync(cancellationToken).ConfigureAwait(false))
        {
            while (_outbound.Reader.TryRead(out var item))
            {
                if (item.Message is { } message)
                {
                    if (message is not NativeHave)
                        Interlocked.Decrement(ref _queuedMessages);
                    json.Write(_writer, message);
                }
                else
                    await WriteUploadAsync(json, item.PieceIndex, cancellationToken).ConfigureAwait(false);
            }
            var flush = await _writer.FlushAsync(cancellationToken).ConfigureAwait(false);
            if (flush.IsCompleted)
                return;
        }
    }

    private async Task WriteUploadAsync(NativeMessageWriter json, int index, CancellationToken cancellationToken)
    {
        try
        {
            if (TakeQueuedUpload(index) || PieceSource is not { } source)
                return;
            var length = source.PieceLength(index);
            if (length < 0)
                return;
            if (UploadDelayPerPiece > TimeSpan.Zero)
                await Task.Delay(UploadDelayPerPiece, cancellationToken).ConfigureAwait(false);
            var buffer = ArrayPool<byte>.Shared.Rent(Math.Max(1, length));
            try
            {
                var read = await source.ReadPieceAsync(index, buffer.AsMemory(0, length), cancellationToken).ConfigureAwait(false);
                json.WritePiece(_writer, index, buffer.AsSpan(0, read));
                Interlocked.Add(ref _bytesUploaded, read);
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(buffer);
            }
            // Flush each piece so a big queue does not pile up in memory.
            await _writer.FlushAsync(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            lock (_uploadsGate)
                _queuedUploads--;
        }
    }

    /// <summary>The writer takes one queued copy of an upload; true when the peer cancelled it (skip it).</summary>
    private bool TakeQueuedUpload(int index)
    {
        lock (_uploadsGate)
        {
            var cancelled = _cancelledUploads.Contains(index);
            var copies = _queuedUploadCopies[index] - 1;
            if (copies > 0)
            {
                _queuedUploadCopies[index] = copies;
                return cancelled;
            }
            _queuedUploadCopies.Remove(index);
            _cancelledUploads.Remove(index);
            return cancelled;
        }
    }

    public async ValueTask DisposeAsync()
    {
        _outbound.Writer.TryComplete();
        await _reader.CompleteAsync().ConfigureAwait(false);
        await _writer.CompleteAsync().ConfigureAwait(false);
        await _transport.DisposeAsync().ConfigureAwait(false);
    }

    private readonly record struct Outbound(NativeMessage? Message, int PieceIndex);
}
