namespace P2PShare.Networking.Utp;

/// <summary>
/// LEDBAT congestion control as BEP 29 describes it: the window grows while the measured one-way queuing delay is
/// below the 100 ms target and shrinks when above, by at most <see cref="MaxWindowIncreasePerRtt"/> bytes per round
/// trip scaled by how far off target the delay is and by the share of the window acknowledged. The base delay is the
/// minimum sample over the last two minutes (kept in twelve 10-second buckets, so an old minimum ages out and a
/// clock drift between the peers is followed). A loss halves the window; a timeout drops it to one packet. Before the
/// first loss the window may grow faster (slow start, as libtorrent does) while the delay stays under target.
/// Pure: the clock comes from a <see cref="TimeProvider"/>; not thread-safe (the connection calls it under its lock).
/// </summary>
internal sealed class LedbatController
{
    public const int TargetDelayMicroseconds = 100_000;
    public const int MaxWindowIncreasePerRtt = 3000;
    private const int BucketCount = 12;
    private static readonly TimeSpan BucketLength = TimeSpan.FromSeconds(10);

    private readonly TimeProvider _time;
    private readonly uint[] _bucketMinimum = new uint[BucketCount];
    private readonly bool[] _bucketUsed = new bool[BucketCount];
    private long _bucketStartedAt;
    private int _bucket;
    private double _window;
    private bool _slowStart = true;
    private double _slowStartThreshold;

    public LedbatController(TimeProvider time, int minWindow, int maxWindow, int initialWindow)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(minWindow, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxWindow, minWindow);
        _time = time;
        MinWindow = minWindow;
        MaxWindow = maxWindow;
        _window = Math.Clamp(initialWindow, minWindow, maxWindow);
        _slowStartThreshold = maxWindow;
        _bucketStartedAt = time.GetTimestamp();
    }

    public int MinWindow { get; }
    public int MaxWindow { get; }

    /// <summary>Congestion window in bytes: how much unacknowledged payload may be in flight.</summary>
    public int Window => (int)_window;

    public bool InSlowStart => _slowStart;

    /// <summary>The latest queuing delay (sample minus base delay), microseconds.</summary>
    public uint QueuingDelayMicroseconds { get; private set; }

    /// <summary>The minimum delay sample over the last two minutes, microseconds (0 before any sample).</summary>
    public uint BaseDelayMicroseconds
    {
        get
        {
            uint? best = null;
            for (var i = 0; i < BucketCount; i++)
            {
                if (_bucketUsed[i] && (best is null || IsLess(_bucketMinimum[i], best.Value)))
                    best = _bucketMinimum[i];
            }
            return best ?? 0;
        }
    }

    /// <summary>
    /// Payload was acknowledged. <paramref name="delaySampleMicroseconds"/> is the peer's timestamp difference from
    /// the acknowledging packet (its receive time minus our send time; its clock offset cancels out against the base
    /// delay); 0 means the peer had no sample. The window grows only if the sender was limited by it.
    /// </summary>
    public void OnAck(int bytesAcked, uint delaySampleMicroseconds, bool windowLimited)
    {
        if (bytesAcked <= 0)
            return;
        if (delaySampleMicroseconds != 0)
            AddDelaySample(delaySampleMicroseconds);
        var offTarget = (double)TargetDelayMicroseconds - QueuingDelayMicroseconds;
        var delayFactor = offTarget / TargetDelayMicroseconds;
        var windowFactor = bytesAcked / Math.Max(_window, 1);
        var gain = MaxWindowIncreasePerRtt * delayFactor * windowFactor;
        if (gain > 0 && !windowLimited)
            return;
        if (_slowStart && gain > 0)
        {
            // Slow start: add what was acknowledged (doubling per round trip) while the delay is under target.
            var grown = _window + bytesAcked;
            if (grown >= _slowStartThreshold)
                _slowStart = false;
            _window = Math.Max(grown, _window + gain);
        }
        else
        {
            if (gain < 0)
                _slowStart = false;
            _window += gain;
        }
        _window = Math.Clamp(_window, MinWindow, MaxWindow);
    }

    /// <summary>A packet was lost (duplicate ACKs or selective ACKs): halve the window, once per loss event.</summary>
    public void OnLoss()
    {
        _slowStartThreshold = Math.Max(_window / 2, MinWindow);
        _window = Math.Max(_window / 2, MinWindow);
        _slowStart = false;
    }

    /// <summary>The retransmission timer expired: back to one packet, then slow start up to half the old window.</summary>
    public void OnTimeout()
    {
        _slowStartThreshold = Math.Max(_window / 2, MinWindow);
        _window = MinWindow;
        _slowStart = true;
    }

    private void AddDelaySample(uint sample)
    {
        RotateBuckets();
        if (!_bucketUsed[_bucket] || IsLess(sample, _bucketMinimum[_bucket]))
        {
            _bucketMinimum[_bucket] = sample;
            _bucketUsed[_bucket] = true;
        }
        var baseDelay = BaseDelayMicroseconds;
        // Timestamps wrap at 2^32 µs; a difference "below" the base (in wrap-around terms) is no queuing.
        var queuing = sample - baseDelay;
        QueuingDelayMicroseconds = queuing > int.MaxValue ? 0 : queuing;
    }

    private void RotateBuckets()
    {
        var elapsed = _time.GetElapsedTime(_bucketStartedAt);
        if (elapsed < BucketLength)
            return;
        var steps = (int)Math.Min(elapsed / BucketLength, BucketCount);
        for (var i = 0; i < steps; i++)
        {
            _bucket = (_bucket + 1) % BucketCount;
            _bucketUsed[_bucket] = false;
        }
        _bucketStartedAt = _time.GetTimestamp();
    }

    private static bool IsLess(uint a, uint b) => (int)(a - b) < 0;
}
