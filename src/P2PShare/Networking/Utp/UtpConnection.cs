using System.Buffers;
using System.Net;

namespace P2PShare.Networking.Utp;

/// <summary>
/// One uTP connection's state machine (BEP 29). Everything runs under one lock: datagrams arrive from the manager
/// (on the UDP receive loop), timers from the manager's tick, reads and writes from the stream's user. Sends happen
/// under the lock too: a UDP send does not block, and the datagram sender never calls back into a connection.
/// Split by concern: this file holds identity, lifecycle and the user's side; .Receive, .Send and .Timers the rest.
/// </summary>
internal sealed partial class UtpConnection
{
    /// <summary>Slots for packets in flight and for out-of-order packets (a power of two): both are bounded by it.</summary>
    internal const int SlotCount = 1024;
    private const int SlotMask = SlotCount - 1;

    private readonly UtpSocketManager _manager;
    private readonly UtpOptions _options;
    private readonly Lock _lock = new();
    private readonly LedbatController _congestion;
    private readonly UtpRttEstimator _rtt = new();
    private readonly ByteRing _pending;
    private readonly ByteRing _received;
    private readonly UtpOutgoingPacket?[] _inFlight = new UtpOutgoingPacket?[SlotCount];
    private readonly Stack<UtpOutgoingPacket> _freePackets = new();
    private readonly byte[]?[] _reorder = new byte[]?[SlotCount];
    private readonly int[] _reorderLength = new int[SlotCount];
    private readonly UtpSignal _readable = new();
    private readonly UtpSignal _writable = new();
    private readonly TaskCompletionSource _connected = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private UtpConnectionState _state;
    private Exception? _failure;
    private bool _released;
    private bool _userClosed;
    private long _lastReceivedAt;
    private long _lastSentAt;

    private UtpConnection(UtpSocketManager manager, IPEndPoint remote, ushort receiveId, ushort sendId, ushort firstSequence)
    {
        _manager = manager;
        _options = manager.Options;
        Remote = remote;
        ReceiveId = receiveId;
        SendId = sendId;
        _congestion = new LedbatController(manager.Time, _options.MaxPayload, _options.MaxWindow, 2 * _options.MaxPayload);
        _pending = new ByteRing(_options.SendBufferSize);
        _received = new ByteRing(_options.ReceiveBufferSize);
        _nextSequence = firstSequence;
        _ackedUpTo = (ushort)(firstSequence - 1);
        _peerWindow = (uint)_options.MaxPayload;
        _lastReceivedAt = _lastSentAt = manager.Now;
    }

    public IPEndPoint Remote { get; }

    /// <summary>The id in the packets we receive (the demultiplexing key with <see cref="Remote"/>).</summary>
    public ushort ReceiveId { get; }

    /// <summary>The id we put in the packets we send.</summary>
    public ushort SendId { get; }

    public bool IsIncoming { get; private init; }

    public Task Connected => _connected.Task;

    /// <summary>Our side: SYN with connection id = receive id (random), send id = receive id + 1, random first sequence.</summary>
    internal static UtpConnection CreateOutgoing(UtpSocketManager manager, IPEndPoint remote, ushort receiveId, ushort firstSequence)
    {
        var connection = new UtpConnection(manager, remote, receiveId, (ushort)(receiveId + 1), firstSequence)
        {
            _state = UtpConnectionState.SynSent,
        };
        return connection;
    }

    /// <summary>Their SYN: we receive on its id + 1 and send with its id; we have received up to its sequence number.</summary>
    internal static UtpConnection CreateIncoming(UtpSocketManager manager, IPEndPoint remote, ushort synConnectionId, ushort synSequence, ushort firstSequence)
    {
        var connection = new UtpConnection(manager, remote, (ushort)(synConnectionId + 1), synConnectionId, firstSequence)
        {
            _state = UtpConnectionState.Connected,
            IsIncoming = true,
        };
        connection._ackNumber = synSequence;
        connection._synSequence = synSequence;
        connection._connected.TrySetResult();
        return connection;
    }

    public UtpConnectionStatistics Statistics
    {
        get
        {
            lock (_lock)
                return new UtpConnectionStatistics(_packetsSent, _packetsReceived, _retransmissions, _fastRetransmissions, _timeouts,
                    _congestion.Window, _rtt.SmoothedRtt, _congestion.QueuingDelayMicroseconds);
        }
    }

    /// <summary>Internal state for diagnostics (tests, logs).</summary>
    internal string Describe()
    {
        lock (_lock)
            return $"state {_state}, failure {_failure?.Message}, next seq {_nextSequence}, acked up to {_ackedUpTo}, in flight {_inFlightCount} " +
                $"({_bytesInFlight} B, {_needResendCount} to resend), pending {(_released ? -1 : _pending.Count)} B, peer window {_peerWindow}, " +
                $"cwnd {_congestion.Window}, rto {_rtt.Timeout.TotalMilliseconds} ms, retransmit in {(_retransmitAt == 0 ? 0 : (_retransmitAt - _manager.Now) / 10_000)} ms, " +
                $"ack nr {_ackNumber}, reorder {_reorderCount}, received {(_released ? -1 : _received.Count)} B, last received {(_manager.Now - _lastReceivedAt) / 10_000} ms ago, " +
                $"close requested {_closeRequested}, fin sent {_finSent}, remote fin {_remoteFinKnown}, eof {_endOfStream}";
    }

    /// <summary>Sends the SYN (outgoing) or the STATE that accepts the peer's SYN (incoming).</summary>
    internal void Start()
    {
        lock (_lock)
        {
            if (_state == UtpConnectionState.SynSent)
            {
                var syn = NewPacket(Protocol.Utp.UtpPacketType.Syn, 0);
                _synSequence = syn.Sequence;
                Transmit(syn, _manager.Now);
            }
            else
            {
                SendState(_manager.Now);
            }
        }
    }

    public async ValueTask<int> ReadAsync(Memory<byte> destination, CancellationToken cancellationToken)
    {
        while (true)
        {
            var wait = TryRead(destination.Span, out var read);
            if (wait is null)
                return read;
            await wait.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    public async ValueTask WriteAsync(ReadOnlyMemory<byte> source, CancellationToken cancellationToken)
    {
        while (!source.IsEmpty)
        {
            var wait = TryWrite(source.Span, out var written);
            source = source[written..];
            if (wait is not null && !source.IsEmpty)
                await wait.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Null with the bytes read (0 = end of stream), or a task to await before trying again.</summary>
    private Task? TryRead(Span<byte> destination, out int read)
    {
        read = 0;
        lock (_lock)
        {
            ObjectDisposedException.ThrowIf(_userClosed, this);
            if (!_released && _received.Count > 0)
            {
                if (destination.IsEmpty)
                    return null;
                read = _received.Read(destination);
                // Reopen a window the peer saw nearly closed without waiting for our next packet.
                if (_lastAdvertisedWindow < _options.ReceiveBufferSize / 2 && AdvertisedWindow >= _options.ReceiveBufferSize / 2)
                    SendState(_manager.Now);
                return null;
            }
            if (_endOfStream)
                return null;
            if (_failure is not null)
                throw new IOException($"uTP connection to {Remote} failed: {_failure.Message}", _failure);
            return _readable.Prepare();
        }
    }

    private Task? TryWrite(ReadOnlySpan<byte> source, out int written)
    {
        written = 0;
        lock (_lock)
        {
            ObjectDisposedException.ThrowIf(_userClosed, this);
            if (_failure is not null)
                throw new IOException($"uTP connection to {Remote} failed: {_failure.Message}", _failure);
            if (_state == UtpConnectionState.Connected)
            {
                written = _pending.Write(source);
                if (written > 0)
                    SendPending(_manager.Now);
            }
            return written == source.Length ? null : _writable.Prepare();
        }
    }

    /// <summary>The user is done: queued data is still sent, then a FIN; the manager drops the connection when the FIN is acknowledged or the linger time is over.</summary>
    public void Close()
    {
        lock (_lock)
        {
            if (_userClosed)
                return;
            _userClosed = true;
            _readable.Set();
            _writable.Set();
            if (_state == UtpConnectionState.SynSent)
            {
                Fail(new OperationCanceledException("closed before connecting"), notifyPeer: false);
                return;
            }
            if (_state == UtpConnectionState.Connected && !_closeRequested)
            {
                _closeRequested = true;
                _closeRequestedAt = _manager.Now;
                SendPending(_manager.Now);
            }
        }
    }

    /// <summary>Ends the connection at once (RESET to the peer unless it is the one that reset or vanished).</summary>
    internal void Abort(Exception reason, bool notifyPeer)
    {
        lock (_lock)
            Fail(reason, notifyPeer);
    }

    private void Fail(Exception reason, bool notifyPeer)
    {
        if (_state == UtpConnectionState.Closed)
            return;
        if (notifyPeer)
            _manager.SendReset(Remote, SendId, _ackNumber);
        _failure ??= reason;
        Finish();
    }

    /// <summary>Closed: wake everyone, return the buffers, leave the manager's table.</summary>
    private void Finish()
    {
        _state = UtpConnectionState.Closed;
        _connected.TrySetException(_failure ?? new IOException("uTP connection closed"));
        _ = _connected.Task.Exception; // observed
        _readable.Set();
        _writable.Set();
        ReleaseBuffers();
        _manager.Remove(this);
    }

    private void ReleaseBuffers()
    {
        if (_released)
            return;
        _released = true;
        _pending.Release();
        _received.Release();
        for (var i = 0; i < SlotCount; i++)
        {
            if (_reorder[i] is { } data)
                ArrayPool<byte>.Shared.Return(data);
            _reorder[i] = null;
            if (_inFlight[i] is { } packet)
                ReleasePacket(packet);
        }
        while (_freePackets.TryPop(out var packet))
            ReturnBuffer(packet);
    }
}
