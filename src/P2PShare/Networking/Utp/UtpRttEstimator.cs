namespace P2PShare.Networking.Utp;

/// <summary>
/// Round-trip time and retransmission timeout as TCP computes them (RFC 6298): smoothed RTT and its variance from
/// samples of packets sent once (Karn), RTO = SRTT + 4·RTTVAR, at least 500 ms (BEP 29), 1 s before any sample, and
/// doubled on each consecutive timeout up to <see cref="MaxTimeout"/>. Pure; not thread-safe.
/// </summary>
internal sealed class UtpRttEstimator
{
    public static readonly TimeSpan MinTimeout = TimeSpan.FromMilliseconds(500);
    public static readonly TimeSpan InitialTimeout = TimeSpan.FromSeconds(1);
    public static readonly TimeSpan MaxTimeout = TimeSpan.FromSeconds(60);

    private TimeSpan _smoothed;
    private TimeSpan _variance;
    private bool _hasSample;
    private int _backOff;

    public TimeSpan SmoothedRtt => _smoothed;
    public bool HasSample => _hasSample;

    /// <summary>How many times in a row the timer expired without progress.</summary>
    public int ConsecutiveTimeouts => _backOff;

    public TimeSpan Timeout
    {
        get
        {
            var baseTimeout = _hasSample ? _smoothed + 4 * _variance : InitialTimeout;
            if (baseTimeout < MinTimeout)
                baseTimeout = MinTimeout;
            var scaled = baseTimeout.Ticks << Math.Min(_backOff, 16);
            return scaled > MaxTimeout.Ticks || scaled < 0 ? MaxTimeout : TimeSpan.FromTicks(scaled);
        }
    }

    public void AddSample(TimeSpan rtt)
    {
        if (rtt < TimeSpan.Zero)
            return;
        if (!_hasSample)
        {
            _smoothed = rtt;
            _variance = rtt / 2;
            _hasSample = true;
        }
        else
        {
            var error = (_smoothed - rtt).Duration();
            _variance += (error - _variance) / 4;
            _smoothed += (rtt - _smoothed) / 8;
        }
    }

    /// <summary>The timer expired: the next timeout is twice as long.</summary>
    public void BackOff() => _backOff++;

    /// <summary>New data was acknowledged: the back-off ends.</summary>
    public void ResetBackOff() => _backOff = 0;
}
