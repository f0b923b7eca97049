using System.Buffers;
using Microsoft.Extensions.Logging;
using P2PShare.Protocol.Utp;

namespace P2PShare.Networking.Utp;

/// <summary>The receive path: acknowledgements (cumulative, selective, duplicate), data into order, FIN and RESET.</summary>
internal sealed partial class UtpConnection
{
    private const int MaxSelectiveAckBytes = 32;

    private ushort _ackNumber;
    private ushort _synSequence;
    private int _reorderBytes;
    private int _reorderCount;
    private uint _replyMicroseconds;
    private bool _remoteFinKnown;
    private ushort _remoteFinSequence;
    private bool _endOfStream;
    private bool _ackPending;
    private int _duplicateAcks;
    private bool _lossEventOpen;
    private ushort _lossEventEnd;
    private long _packetsReceived;

    /// <summary>Free receive buffer we tell the peer about: what neither in-order nor out-of-order data holds.</summary>
    private int AdvertisedWindow => _released ? 0 : Math.Max(0, _options.ReceiveBufferSize - _received.Count - _reorderBytes);

    /// <summary>A datagram for this connection (called on the UDP receive loop; the packet's spans are only valid during the call).</summary>
    internal void OnPacket(in UtpPacket packet)
    {
        lock (_lock)
        {
            if (_state == UtpConnectionState.Closed)
                return;
            var header = packet.Header;
            var now = _manager.Now;
            if (_manager.TracePackets)
                _manager.Logger.LogTrace("uTP {Remote} in {Type} seq {Seq} ack {Ack} wnd {Window} sack {Sack} payload {Payload}; our ack {OurAck} acked {AckedUpTo} next {Next}",
                    Remote, header.Type, header.SequenceNumber, header.AckNumber, header.WindowSize, Convert.ToHexString(packet.SelectiveAck), packet.Payload.Length,
                    _ackNumber, _ackedUpTo, _nextSequence);
            _packetsReceived++;
            _lastReceivedAt = now;
            _replyMicroseconds = _manager.NowMicroseconds - header.TimestampMicroseconds;
            switch (header.Type)
            {
                case UtpPacketType.Reset:
                    Fail(new IOException("connection reset by the peer"), notifyPeer: false);
                    return;
                case UtpPacketType.Syn:
                    // The SYN that created us, or its resend (our STATE was lost): answer with a STATE.
                    if (IsIncoming && header.SequenceNumber == _synSequence)
                    {
                        _peerWindow = header.WindowSize;
                        SendState(now);
                    }
                    return;
            }
            if (_state == UtpConnectionState.SynSent)
            {
                if (header.AckNumber != _synSequence)
                    return;
                // A STATE's sequence number is the next one the peer will send; we have "received" the one before.
                // (A DATA packet whose STATE was lost carries its own number: the one before it is "received" too.)
                _ackNumber = (ushort)(header.SequenceNumber - 1);
                _state = UtpConnectionState.Connected;
                _connected.TrySetResult();
            }
            _peerWindow = header.WindowSize;
            if (!HandleAck(header, packet.SelectiveAck, now))
                return;
            if (header.Type == UtpPacketType.Data)
                HandleData(header.SequenceNumber, packet.Payload);
            else if (header.Type == UtpPacketType.Fin)
                HandleFin(header.SequenceNumber);
            if (_state != UtpConnectionState.Connected)
                return;
            SendPending(now);
            if (_ackPending)
            {
                // In-order data is acknowledged once per burst; anything else (out-of-order data whose selective
                // ACK drives the sender's fast retransmit, a FIN, a duplicate) at once.
                if (header.Type == UtpPacketType.Data && _reorderCount == 0 && _manager.DefersAcks)
                    _manager.DeferAck(this);
                else
                    SendState(now);
            }
            FinishIfDone();
        }
    }

    /// <summary>Set while the manager holds this connection in its deferred-ACK list (guarded by the manager).</summary>
    internal bool AckDeferred { get; set; }

    /// <summary>Sends the ACK deferred during a burst, unless a packet we sent since carried it.</summary>
    internal void FlushDeferredAck()
    {
        lock (_lock)
        {
            if (_ackPending && _state == UtpConnectionState.Connected)
                SendState(_manager.Now);
        }
    }

    /// <summary>Applies the packet's ack_nr and selective ACK; false when it acknowledges what we never sent (the packet is ignored).</summary>
    private bool HandleAck(in UtpHeader header, ReadOnlySpan<byte> selectiveAck, long now)
    {
        var lastSent = (ushort)(_nextSequence - 1);
        var outstanding = UtpSequence.Distance(_ackedUpTo, lastSent);
        var advance = UtpSequence.Distance(_ackedUpTo, header.AckNumber);
        if (advance > outstanding)
            return !UtpSequence.IsAfter(header.AckNumber, lastSent);   // beyond what we sent: hostile or confused; older: a stale ACK
        var acked = 0;
        var progress = false;
        TimeSpan? rttSample = null;
        for (var i = 1; i <= advance; i++)
            progress |= Acknowledge((ushort)(_ackedUpTo + i), now, ref acked, ref rttSample);
        _ackedUpTo = header.AckNumber;

        var lost = false;
        if (!selectiveAck.IsEmpty)
        {
            // Bits beyond the last packet we sent are meaningless; a packet with 3+ selectively acknowledged
            // packets after it is lost (as TCP's three duplicate ACKs).
            var bits = Math.Min(selectiveAck.Length * 8, outstanding - advance - 1);
            var ackedAfter = 0;
            for (var bit = bits - 1; bit >= 0; bit--)
            {
                var sequence = (ushort)(header.AckNumber + 2 + bit);
                if ((selectiveAck[bit >> 3] & (1 << (bit & 7))) != 0)
                {
                    progress |= Acknowledge(sequence, now, ref acked, ref rttSample);
                    ackedAfter++;
                }
                else if (ackedAfter >= 3)
                {
                    lost |= MarkLost(sequence);
                }
            }
            if (ackedAfter >= 3)
                lost |= MarkLost((ushort)(header.AckNumber + 1));
        }
        if (advance == 0 && header.Type == UtpPacketType.State && _inFlightCount > 0)
        {
            if (++_duplicateAcks == 3)
                lost |= MarkLost((ushort)(header.AckNumber + 1));
        }
        else if (advance > 0)
        {
            _duplicateAcks = 0;
        }
        if (lost)
        {
            _fastRetransmissions++;
            // One window halving per loss event: losses up to what was in flight when it began count once.
            if (!_lossEventOpen || UtpSequence.IsAfter(_ackedUpTo, _lossEventEnd))
            {
                _congestion.OnLoss();
                _lossEventOpen = true;
                _lossEventEnd = (ushort)(_nextSequence - 1);
            }
        }
        if (progress)
        {
            if (rttSample is { } rtt)
                _rtt.AddSample(rtt);
            _rtt.ResetBackOff();
            _congestion.OnAck(acked, header.TimestampDifferenceMicroseconds, _windowLimited);
            _windowLimited = false;
            _retransmitAt = _inFlightCount > 0 ? now + _rtt.Timeout.Ticks : 0;
        }
        return true;
    }

    /// <summary>Drops an acknowledged packet from flight; true if it was still there.</summary>
    private bool Acknowledge(ushort sequence, long now, ref int acked, ref TimeSpan? rttSample)
    {
        var packet = _inFlight[sequence & SlotMask];
        if (packet is null || packet.Sequence != sequence)
            return false;
        if (packet.NeedsResend)
            _needResendCount--;
        else
            _bytesInFlight -= packet.PayloadLength;
        acked += packet.PayloadLength;
        if (packet.Transmissions == 1)
            rttSample = TimeSpan.FromTicks(now - packet.LastSentAt);
        if (packet.Type == UtpPacketType.Fin)
            _finAcked = true;
        _inFlight[sequence & SlotMask] = null;
        _inFlightCount--;
        ReleasePacket(packet);
        return true;
    }

    /// <summary>Queues a fast retransmission of a packet the ACKs show lost (once until a timeout).</summary>
    private bool MarkLost(ushort sequence)
    {
        var packet = _inFlight[sequence & SlotMask];
        if (packet is null || packet.Sequence != sequence || packet.NeedsResend || packet.FastResent)
            return false;
        packet.FastResent = true;
        packet.NeedsResend = true;
        _needResendCount++;
        _bytesInFlight -= packet.PayloadLength;
        return true;
    }

    private void HandleData(ushort sequence, ReadOnlySpan<byte> payload)
    {
        var distance = UtpSequence.Distance(_ackNumber, sequence);
        if (distance == 0 || distance >= 0x8000)
        {
            _ackPending = true;   // a duplicate: our ACK was lost, repeat it
            return;
        }
        if (distance >= SlotCount || (_remoteFinKnown && !UtpSequence.IsBefore(sequence, _remoteFinSequence)))
            return;
        if (_received.Count + _reorderBytes + payload.Length > _options.ReceiveBufferSize)
            return;   // beyond the window we advertised: dropped, the peer resends
        _ackPending = true;
        if (distance == 1)
        {
            _received.Write(payload);
            _ackNumber = sequence;
            DrainReorderBuffer();
            _readable.Set();
            return;
        }
        var slot = sequence & SlotMask;
        if (_reorder[slot] is not null || payload.IsEmpty)
            return;
        var copy = ArrayPool<byte>.Shared.Rent(payload.Length);
        payload.CopyTo(copy);
        _reorder[slot] = copy;
        _reorderLength[slot] = payload.Length;
        _reorderBytes += payload.Length;
        _reorderCount++;
    }

    private void HandleFin(ushort sequence)
    {
        var distance = UtpSequence.Distance(_ackNumber, sequence);
        _ackPending = true;
        if (distance == 0 || distance >= SlotCount || _remoteFinKnown)
            return;
        _remoteFinKnown = true;
        _remoteFinSequence = sequence;
        DrainReorderBuffer();
    }

    private void DrainReorderBuffer()
    {
        while (_reorderCount > 0)
        {
            var next = (ushort)(_ackNumber + 1);
            var slot = next & SlotMask;
            if (_reorder[slot] is not { } data)
                break;
            _received.Write(data.AsSpan(0, _reorderLength[slot]));
            _reorderBytes -= _reorderLength[slot];
            _reorderCount--;
            _reorder[slot] = null;
            ArrayPool<byte>.Shared.Return(data);
            _ackNumber = next;
        }
        if (_remoteFinKnown && !_endOfStream && (ushort)(_ackNumber + 1) == _remoteFinSequence)
        {
            _ackNumber = _remoteFinSequence;
            _endOfStream = true;
            _readable.Set();
        }
    }

    /// <summary>Writes the selective-ACK bitmask of out-of-order packets held (empty when none); returns its length.</summary>
    private int BuildSelectiveAck(Span<byte> mask)
    {
        if (_reorderCount == 0)
            return 0;
        mask[..MaxSelectiveAckBytes].Clear();
        var highest = -1;
        for (var bit = 0; bit < MaxSelectiveAckBytes * 8; bit++)
        {
            var sequence = (ushort)(_ackNumber + 2 + bit);
            if (_reorder[sequence & SlotMask] is not null)
            {
                mask[bit >> 3] |= (byte)(1 << (bit & 7));
                highest = bit;
            }
        }
        return highest < 0 ? 0 : ((highest / 32) + 1) * 4;
    }
}
