using System.Buffers;
using System.Net;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using P2PShare.Networking.Udp;
using P2PShare.Protocol.Utp;

namespace P2PShare.Networking.Utp;

/// <summary>
/// uTP (BEP 29) on the shared UDP port: demultiplexes datagrams to connections by (peer endpoint, connection id),
/// accepts incoming SYNs into a bounded backlog (beyond it, and beyond <see cref="UtpOptions.MaxConnections"/>, they
/// are reset), dials out with <see cref="ConnectAsync"/>, and drives every connection's timers from one
/// <see cref="TimeProvider"/> timer. Register it with <c>UdpPort.AddHandler</c>.
/// </summary>
internal sealed class UtpSocketManager : IDatagramHandler, IAsyncDisposable
{
    private readonly Lock _lock = new();
    private readonly Dictionary<(IPEndPoint EndPoint, ushort Id), UtpConnection> _connections = [];
    private readonly Channel<UtpStream> _accepted;
    private readonly Random _random;
    private readonly ILogger _logger;
    private readonly long _startedAt;
    private readonly ITimer _timer;
    private readonly List<UtpConnection> _tickList = [];
    private readonly Lock _deferredLock = new();
    private List<UtpConnection> _deferredAcks = [];
    private List<UtpConnection> _flushing = [];
    private int _ticking;
    private long _malformed;
    private long _refusedSyns;
    private long _unknown;
    private bool _disposed;

    public UtpSocketManager(IDatagramSender sender, UtpOptions? options = null, TimeProvider? time = null, Random? random = null, ILogger? logger = null)
    {
        Sender = sender;
        Options = options ?? new UtpOptions();
        Time = time ?? TimeProvider.System;
        _random = random ?? new Random();
        _logger = logger ?? NullLogger.Instance;
        _startedAt = Time.GetTimestamp();
        TracePackets = _logger.IsEnabled(LogLevel.Trace);
        _accepted = Channel.CreateBounded<UtpStream>(new BoundedChannelOptions(Options.AcceptBacklog)
        {
            FullMode = BoundedChannelFullMode.Wait,
            SingleReader = false,
            SingleWriter = true,
        });
        _timer = Time.CreateTimer(_ => Tick(), null, Options.TickInterval, Options.TickInterval);
    }

    public UtpOptions Options { get; }
    internal IDatagramSender Sender { get; }
    internal ILogger Logger => _logger;

    /// <summary>
    /// Whether a connection may hold the ACK of in-order data until the receive queue is drained: one STATE then
    /// covers a whole burst (libtorrent defers them the same way), instead of one STATE per DATA packet.
    /// </summary>
    internal bool DefersAcks => Sender.ReportsDrains;

    /// <summary>Per-packet trace logging (checked once per packet so the hot path pays nothing when off).</summary>
    internal bool TracePackets { get; }
    internal TimeProvider Time { get; }

    /// <summary>Ticks (100 ns) since the manager started, from its TimeProvider.</summary>
    internal long Now => Time.GetElapsedTime(_startedAt).Ticks;

    /// <summary>The microsecond clock in packet headers (wraps at 2^32).</summary>
    internal uint NowMicroseconds => (uint)(Now / 10);

    public int ConnectionCount
    {
        get
        {
            lock (_lock)
                return _connections.Count;
        }
    }

    /// <summary>Datagrams that looked like uTP but failed strict parsing.</summary>
    public long MalformedPackets => Interlocked.Read(ref _malformed);

    /// <summary>SYNs reset because the backlog or the connection table was full.</summary>
    public long RefusedSyns => Interlocked.Read(ref _refusedSyns);

    /// <summary>Packets for no known connection.</summary>
    public long UnknownConnectionPackets => Interlocked.Read(ref _unknown);

    /// <summary>Dials <paramref name="remote"/>: SYN, retransmitted on timeout, until its STATE or <see cref="UtpOptions.ConnectTimeout"/>.</summary>
    /// <exception cref="TimeoutException">no answer in time</exception>
    /// <exception cref="IOException">reset by the peer, or too many connections</exception>
    public async Task<UtpStream> ConnectAsync(IPEndPoint remote, CancellationToken cancellationToken)
    {
        UtpConnection connection;
        lock (_lock)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (_connections.Count >= Options.MaxConnections)
                throw new IOException($"uTP connection limit ({Options.MaxConnections}) reached");
            ushort receiveId;
            do
                receiveId = (ushort)_random.Next(0x10000);
            while (_connections.ContainsKey((remote, receiveId)));
            connection = UtpConnection.CreateOutgoing(this, remote, receiveId, (ushort)_random.Next(0x10000));
            _connections.Add((remote, receiveId), connection);
        }
        connection.Start();
        using var timeout = new CancellationTokenSource(Options.ConnectTimeout, Time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeout.Token);
        try
        {
            await connection.Connected.WaitAsync(linked.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            connection.Abort(new TimeoutException("connect timed out"), notifyPeer: false);
            throw new TimeoutException($"uTP connect to {remote} timed out after {Options.ConnectTimeout.TotalSeconds:0.#} s");
        }
        catch (OperationCanceledException)
        {
            connection.Abort(new OperationCanceledException("connect cancelled"), notifyPeer: true);
            throw;
        }
        catch (Exception error) when (error is not IOException)
        {
            throw new IOException($"uTP connect to {remote} failed: {error.Message}", error);
        }
        return new UtpStream(connection);
    }

    /// <summary>The next incoming connection (already answered: the peer may be sending).</summary>
    public ValueTask<UtpStream> AcceptAsync(CancellationToken cancellationToken) => _accepted.Reader.ReadAsync(cancellationToken);

    public bool TryHandle(ReadOnlySpan<byte> datagram, IPEndPoint from)
    {
        if (!UtpHeader.LooksLikeUtp(datagram))
            return false;
        if (!UtpPacket.TryParse(datagram, out var packet, out var error))
        {
            Interlocked.Increment(ref _malformed);
            _logger.LogTrace("Malformed uTP packet from {From}: {Error}", from, error);
            return true;
        }
        var header = packet.Header;
        UtpConnection? connection;
        lock (_lock)
        {
            if (_disposed)
                return true;
            if (header.Type == UtpPacketType.Syn)
                connection = _connections.GetValueOrDefault((from, (ushort)(header.ConnectionId + 1))) ?? Accept(header, from);
            else
                connection = Find(from, header);
        }
        if (connection is not null)
        {
            connection.OnPacket(packet);
            return true;
        }
        if (header.Type != UtpPacketType.Syn)
        {
            Interlocked.Increment(ref _unknown);
            // Tell a peer sending data or FIN on a connection we do not have (we restarted, or it timed out).
            if (header.Type is UtpPacketType.Data or UtpPacketType.Fin)
                SendReset(from, header.ConnectionId, header.SequenceNumber);
        }
        return true;
    }

    /// <summary>Queues <paramref name="connection"/>'s ACK for <see cref="OnReceiveQueueDrained"/> (once per burst; one entry per connection).</summary>
    internal void DeferAck(UtpConnection connection)
    {
        lock (_deferredLock)
        {
            if (connection.AckDeferred)
                return;
            connection.AckDeferred = true;
            _deferredAcks.Add(connection);
        }
    }

    /// <summary>Sends the ACKs deferred during the burst that just ended.</summary>
    public void OnReceiveQueueDrained()
    {
        List<UtpConnection> batch;
        lock (_deferredLock)
        {
            if (_deferredAcks.Count == 0)
                return;
            batch = _deferredAcks;
            _deferredAcks = _flushing;
            _flushing = batch;
            foreach (var connection in batch)
                connection.AckDeferred = false;
        }
        foreach (var connection in batch)
            connection.FlushDeferredAck();
        batch.Clear();
    }

    private UtpConnection? Find(IPEndPoint from, in UtpHeader header)
    {
        if (_connections.TryGetValue((from, header.ConnectionId), out var connection))
            return connection;
        if (header.Type != UtpPacketType.Reset)
            return null;
        // Some implementations reset with their own receive id (our send id) rather than ours.
        foreach (var candidate in (ReadOnlySpan<ushort>)[(ushort)(header.ConnectionId - 1), (ushort)(header.ConnectionId + 1)])
        {
            if (_connections.TryGetValue((from, candidate), out connection) && connection.SendId == header.ConnectionId)
                return connection;
        }
        return null;
    }

    /// <summary>Under the lock: a new incoming connection, or null (reset sent) when the backlog or the table is full.</summary>
    private UtpConnection? Accept(in UtpHeader syn, IPEndPoint from)
    {
        if (_connections.Count >= Options.MaxConnections)
        {
            Refuse(syn, from);
            return null;
        }
        var connection = UtpConnection.CreateIncoming(this, from, syn.ConnectionId, syn.SequenceNumber, (ushort)_random.Next(0x10000));
        if (!_accepted.Writer.TryWrite(new UtpStream(connection)))
        {
            Refuse(syn, from);
            return null;
        }
        _connections.Add((from, connection.ReceiveId), connection);
        // The SYN itself answers: OnPacket with the SYN sends the STATE that accepts it.
        return connection;
    }

    private void Refuse(in UtpHeader syn, IPEndPoint from)
    {
        Interlocked.Increment(ref _refusedSyns);
        SendReset(from, syn.ConnectionId, syn.SequenceNumber);
    }

    internal void Remove(UtpConnection connection)
    {
        lock (_lock)
        {
            if (_connections.TryGetValue((connection.Remote, connection.ReceiveId), out var found) && found == connection)
                _connections.Remove((connection.Remote, connection.ReceiveId));
        }
    }

    internal void SendReset(IPEndPoint to, ushort connectionId, ushort ackNumber)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(UtpHeader.Size);
        new UtpHeader(UtpPacketType.Reset, connectionId, NowMicroseconds, 0, 0, (ushort)_random.Next(0x10000), ackNumber).WriteTo(buffer);
        SendPooled(buffer, UtpHeader.Size, to);
    }

    /// <summary>Sends a datagram from a pooled buffer and returns the buffer once the socket is done with it.</summary>
    internal void SendPooled(byte[] buffer, int length, IPEndPoint to)
    {
        ValueTask send;
        try
        {
            send = Sender.SendAsync(buffer.AsMemory(0, length), to, CancellationToken.None);
        }
        catch (Exception error)
        {
            _logger.LogTrace("uTP send to {To} failed: {Error}", to, error.Message);
            ArrayPool<byte>.Shared.Return(buffer);
            return;
        }
        if (send.IsCompleted)
        {
            try
            {
                send.GetAwaiter().GetResult();
            }
            catch (Exception)
            {
                // A lost datagram.
            }
            ArrayPool<byte>.Shared.Return(buffer);
        }
        else
        {
            _ = ReturnWhenSentAsync(send, buffer);
        }
    }

    private static async Task ReturnWhenSentAsync(ValueTask send, byte[] buffer)
    {
        try
        {
            await send.ConfigureAwait(false);
        }
        catch (Exception)
        {
            // A lost datagram.
        }
        ArrayPool<byte>.Shared.Return(buffer);
    }

    private void Tick()
    {
        if (Interlocked.Exchange(ref _ticking, 1) == 1)
            return;
        try
        {
            lock (_lock)
            {
                _tickList.Clear();
                _tickList.AddRange(_connections.Values);
            }
            var now = Now;
            foreach (var connection in _tickList)
            {
                try
                {
                    connection.OnTick(now);
                }
                catch (Exception error)
                {
                    _logger.LogWarning(error, "uTP connection to {Remote} failed in its timer", connection.Remote);
                    connection.Abort(error, notifyPeer: true);
                }
            }
            _tickList.Clear();
        }
        finally
        {
            Volatile.Write(ref _ticking, 0);
        }
    }

    /// <summary>Resets every connection and stops the timer.</summary>
    public ValueTask DisposeAsync()
    {
        UtpConnection[] all;
        lock (_lock)
        {
            if (_disposed)
                return ValueTask.CompletedTask;
            _disposed = true;
            all = [.. _connections.Values];
        }
        _timer.Dispose();
        foreach (var connection in all)
            connection.Abort(new ObjectDisposedException(nameof(UtpSocketManager)), notifyPeer: true);
        _accepted.Writer.TryComplete();
        return ValueTask.CompletedTask;
    }
}
