namespace P2PShare.Engine;

/// <summary>Bytes per second over a sliding window of one-second buckets. Thread-safe.</summary>
internal sealed class RateEstimator
{
    private readonly TimeProvider _time;
    private readonly long[] _buckets;
    private readonly object _gate = new();
    private long _currentSecond;
    private long _total;

    public RateEstimator(TimeProvider time, int windowSeconds = 5)
    {
        _time = time;
        _buckets = new long[windowSeconds + 1];
        _currentSecond = NowSecond();
    }

    public long Total => Interlocked.Read(ref _total);

    public void Add(long bytes)
    {
        lock (_gate)
        {
            Roll();
            _buckets[_currentSecond % _buckets.Length] += bytes;
            _total += bytes;
        }
    }

    /// <summary>The average over the completed seconds of the window (the current partial second is left out).</summary>
    public double BytesPerSecond
    {
        get
        {
            lock (_gate)
            {
                Roll();
                long sum = 0;
                for (var i = 0; i < _buckets.Length; i++)
                    if (i != _currentSecond % _buckets.Length)
                        sum += _buckets[i];
                return sum / (double)(_buckets.Length - 1);
            }
        }
    }

    // The monotonic clock of the injected provider: a wall-clock step (NTP, DST) must not empty or double a window.
    private long NowSecond() => _time.GetTimestamp() / _time.TimestampFrequency;

    private void Roll()
    {
        var now = NowSecond();
        if (now <= _currentSecond)
            return;
        var elapsed = Math.Min(now - _currentSecond, _buckets.Length);
        for (long s = 1; s <= elapsed; s++)
            _buckets[(_currentSecond + s) % _buckets.Length] = 0;
        _currentSecond = now;
    }
}
