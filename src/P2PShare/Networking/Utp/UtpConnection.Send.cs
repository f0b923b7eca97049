using System.Buffers;
using Microsoft.Extensions.Logging;
using P2PShare.Protocol.Utp;

namespace P2PShare.Networking.Utp;

/// <summary>The send path: cutting written bytes into packets within the congestion and peer windows, (re)transmission, STATE packets.</summary>
internal sealed partial class UtpConnection
{
    private ushort _nextSequence;
    private ushort _ackedUpTo;
    private int _inFlightCount;
    private int _bytesInFlight;
    private int _needResendCount;
    private uint _peerWindow;
    private bool _windowLimited;
    private bool _probeAllowed;
    private long _retransmitAt;
    private bool _closeRequested;
    private long _closeRequestedAt;
    private bool _finSent;
    private bool _finAcked;
    private int _lastAdvertisedWindow;
    private long _packetsSent;
    private long _retransmissions;
    private long _fastRetransmissions;
    private long _timeouts;

    /// <summary>Resends what is marked lost, then cuts new packets from the written bytes, then the FIN once all is out.</summary>
    private void SendPending(long now)
    {
        if (_state != UtpConnectionState.Connected)
            return;
        var window = (int)Math.Min(_congestion.Window, _peerWindow);
        if (_needResendCount > 0)
        {
            var outstanding = UtpSequence.Distance(_ackedUpTo, (ushort)(_nextSequence - 1));
            for (var i = 1; i <= outstanding && _needResendCount > 0; i++)
            {
                var packet = _inFlight[(_ackedUpTo + i) & SlotMask];
                if (packet is null || !packet.NeedsResend)
                    continue;
                if (_bytesInFlight > 0 && _bytesInFlight + packet.PayloadLength > window)
                {
                    _windowLimited = true;
                    return;
                }
                packet.NeedsResend = false;
                _needResendCount--;
                _bytesInFlight += packet.PayloadLength;
                _retransmissions++;
                Transmit(packet, now);
            }
        }
        var cut = false;
        while (_pending.Count > 0 && _inFlightCount < SlotCount - 1)
        {
            var size = Math.Min(_pending.Count, _options.MaxPayload);
            // Nagle: a partial packet waits while data is unacknowledged (an ACK or more writes will fill or release it).
            if (size < _options.MaxPayload && _bytesInFlight > 0 && !_closeRequested)
                break;
            if (_bytesInFlight > 0 && _bytesInFlight + size > window)
            {
                _windowLimited = true;
                break;
            }
            if (_bytesInFlight == 0 && _peerWindow < size)
            {
                // The peer's buffer is (nearly) full: send what fits, or one probe packet when the timer allows.
                if (_peerWindow > 0)
                    size = (int)_peerWindow;
                else if (!_probeAllowed)
                    break;
            }
            var packet = NewPacket(UtpPacketType.Data, size);
            _pending.Read(packet.Buffer.AsSpan(UtpHeader.Size, size));
            _bytesInFlight += size;
            cut = true;
            Transmit(packet, now);
            if (_probeAllowed)
                break;
        }
        if (cut)
            _writable.Set();
        if (_closeRequested && !_finSent && _pending.Count == 0 && _inFlightCount < SlotCount - 1)
        {
            var fin = NewPacket(UtpPacketType.Fin, 0);
            _finSent = true;
            Transmit(fin, now);
        }
    }

    private UtpOutgoingPacket NewPacket(UtpPacketType type, int payloadLength)
    {
        if (!_freePackets.TryPop(out var packet))
            packet = new UtpOutgoingPacket();
        packet.Buffer = ArrayPool<byte>.Shared.Rent(UtpHeader.Size + _options.MaxPayload);
        packet.Type = type;
        packet.PayloadLength = payloadLength;
        packet.Sequence = _nextSequence++;
        packet.Transmissions = 0;
        packet.NeedsResend = false;
        packet.FastResent = false;
        packet.Released = false;
        _inFlight[packet.Sequence & SlotMask] = packet;
        _inFlightCount++;
        return packet;
    }

    /// <summary>(Re)writes the header with the current ack, clock and window, and sends the packet.</summary>
    private void Transmit(UtpOutgoingPacket packet, long now)
    {
        packet.LastSentAt = now;
        packet.Transmissions++;
        if (_retransmitAt == 0)
            _retransmitAt = now + _rtt.Timeout.Ticks;
        if (packet.PendingSends > 0)
            return;   // the previous copy is still in the socket's hands; the header must not change under it
        var window = AdvertisedWindow;
        var header = new UtpHeader(packet.Type, packet.Type == UtpPacketType.Syn ? ReceiveId : SendId, _manager.NowMicroseconds,
            _replyMicroseconds, (uint)window, packet.Sequence, packet.Type == UtpPacketType.Syn ? (ushort)0 : _ackNumber);
        header.WriteTo(packet.Buffer);
        if (_manager.TracePackets)
            _manager.Logger.LogTrace("uTP {Remote} out {Type} seq {Seq} ack {Ack} payload {Payload} transmission {Count}", Remote, packet.Type, packet.Sequence, _ackNumber, packet.PayloadLength, packet.Transmissions);
        _lastAdvertisedWindow = window;
        _ackPending = false;
        _lastSentAt = now;
        _packetsSent++;
        packet.PendingSends++;
        var send = _manager.Sender.SendAsync(packet.Buffer.AsMemory(0, packet.Length), Remote, CancellationToken.None);
        if (send.IsCompleted)
        {
            Observe(send);
            packet.PendingSends--;
        }
        else
        {
            _ = CompleteSendAsync(send, packet);
        }
    }

    private async Task CompleteSendAsync(ValueTask send, UtpOutgoingPacket packet)
    {
        try
        {
            await send.ConfigureAwait(false);
        }
        catch (Exception)
        {
            // A failed UDP send is a lost datagram; retransmission covers it.
        }
        lock (_lock)
        {
            packet.PendingSends--;
            if (packet.Released && packet.PendingSends == 0)
                Recycle(packet);
        }
    }

    /// <summary>An ACK (with a selective ACK when packets are held out of order); also a keep-alive and a window update.</summary>
    private void SendState(long now)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(UtpHeader.Size + 2 + MaxSelectiveAckBytes);
        Span<byte> mask = stackalloc byte[MaxSelectiveAckBytes];
        var maskLength = BuildSelectiveAck(mask);
        var window = AdvertisedWindow;
        var header = new UtpHeader(UtpPacketType.State, SendId, _manager.NowMicroseconds, _replyMicroseconds, (uint)window, _nextSequence, _ackNumber);
        var length = UtpSelectiveAck.WritePacketHeader(buffer, header, mask[..maskLength]);
        if (_manager.TracePackets)
            _manager.Logger.LogTrace("uTP {Remote} out State seq {Seq} ack {Ack} wnd {Window} sack {Sack}", Remote, _nextSequence, _ackNumber, window, Convert.ToHexString(mask[..maskLength]));
        _lastAdvertisedWindow = window;
        _ackPending = false;
        _lastSentAt = now;
        _packetsSent++;
        _manager.SendPooled(buffer, length, Remote);
    }

    private void ReleasePacket(UtpOutgoingPacket packet)
    {
        packet.Released = true;
        if (packet.PendingSends == 0)
            Recycle(packet);
    }

    /// <summary>The buffer goes back to the pool; the (small) packet object is kept for the next packet.</summary>
    private void Recycle(UtpOutgoingPacket packet)
    {
        ReturnBuffer(packet);
        if (!_released && _freePackets.Count < SlotCount)
            _freePackets.Push(packet);
    }

    private static void ReturnBuffer(UtpOutgoingPacket packet)
    {
        if (packet.Buffer.Length > 0)
            ArrayPool<byte>.Shared.Return(packet.Buffer);
        packet.Buffer = [];
    }

    private static void Observe(ValueTask send)
    {
        try
        {
            send.GetAwaiter().GetResult();
        }
        catch (Exception)
        {
            // Lost datagram; see CompleteSendAsync.
        }
    }
}
