using P2PShare.Protocol.Utp;

namespace P2PShare.Networking.Utp;

/// <summary>The timer side, driven by the manager's tick: retransmission timeout, zero-window probe, keep-alive, idle and linger limits.</summary>
internal sealed partial class UtpConnection
{
    private long _zeroWindowSince;

    /// <summary>Called every tick; true when the connection is finished and can leave the manager's table.</summary>
    internal bool OnTick(long now)
    {
        lock (_lock)
        {
            if (_state == UtpConnectionState.Closed)
                return true;
            if (now - _lastReceivedAt > _options.IdleTimeout.Ticks)
            {
                Fail(new TimeoutException($"no packet from the peer for {_options.IdleTimeout.TotalSeconds:0} s"), notifyPeer: true);
                return true;
            }
            if (_closeRequested && now - _closeRequestedAt > _options.LingerTimeout.Ticks)
            {
                Fail(new IOException("closed before the peer acknowledged all data"), notifyPeer: true);
                return true;
            }
            if (_inFlightCount > 0 && _retransmitAt != 0 && now >= _retransmitAt)
                OnRetransmitTimeout(now);
            if (_state == UtpConnectionState.Closed)
                return true;
            ProbeZeroWindow(now);
            if (_state == UtpConnectionState.Connected && (_ackPending || now - _lastSentAt > _options.KeepAliveInterval.Ticks))
                SendState(now);
            return FinishIfDone();
        }
    }

    /// <summary>Nothing acknowledged for an RTO: everything in flight is presumed lost, the window drops to one packet, the timeout doubles.</summary>
    private void OnRetransmitTimeout(long now)
    {
        if (_rtt.ConsecutiveTimeouts >= _options.MaxConsecutiveTimeouts)
        {
            var reason = new TimeoutException($"the peer acknowledged nothing after {_rtt.ConsecutiveTimeouts} retransmissions");
            Fail(reason, notifyPeer: true);
            return;
        }
        _timeouts++;
        _rtt.BackOff();
        _congestion.OnTimeout();
        var outstanding = UtpSequence.Distance(_ackedUpTo, (ushort)(_nextSequence - 1));
        for (var i = 1; i <= outstanding; i++)
        {
            var packet = _inFlight[(_ackedUpTo + i) & SlotMask];
            if (packet is null || packet.NeedsResend)
                continue;
            packet.NeedsResend = true;
            packet.FastResent = false;
            _needResendCount++;
        }
        _bytesInFlight = 0;
        _retransmitAt = now + _rtt.Timeout.Ticks;
        if (_state == UtpConnectionState.SynSent)
        {
            if (_inFlight[_synSequence & SlotMask] is { NeedsResend: true } syn)
            {
                syn.NeedsResend = false;
                _needResendCount--;
                _retransmissions++;
                Transmit(syn, now);
            }
            return;
        }
        SendPending(now);
    }

    /// <summary>A peer that advertises a zero window gets one packet per RTO, so a lost window update cannot stall us forever.</summary>
    private void ProbeZeroWindow(long now)
    {
        if (_state != UtpConnectionState.Connected || _peerWindow != 0 || _inFlightCount > 0 || _pending.Count == 0)
        {
            _zeroWindowSince = 0;
            return;
        }
        if (_zeroWindowSince == 0)
        {
            _zeroWindowSince = now;
            return;
        }
        if (now - _zeroWindowSince < _rtt.Timeout.Ticks)
            return;
        _probeAllowed = true;
        SendPending(now);
        _probeAllowed = false;
        _zeroWindowSince = 0;
    }

    /// <summary>After the user closed: done once our FIN is acknowledged.</summary>
    private bool FinishIfDone()
    {
        if (_state == UtpConnectionState.Closed)
            return true;
        if (!_closeRequested || !_finAcked)
            return false;
        if (_ackPending)
            SendState(_manager.Now);
        Finish();
        return true;
    }
}
