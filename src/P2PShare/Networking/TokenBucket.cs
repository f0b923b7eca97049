namespace P2PShare.Networking;

/// <summary>
/// A token bucket shared by all connections of a torrent: callers take bytes and, when the bucket is
/// in debt, wait (a timer, not a spin) until the rate has paid it back.
/// </summary>
public sealed class TokenBucket
{
    private readonly TimeProvider _time;
    private readonly object _gate = new();
    private readonly double _burst;
    private double _tokens;
    private long _lastRefill;

    public TokenBucket(long bytesPerSecond, TimeProvider time)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(bytesPerSecond);
        BytesPerSecond = bytesPerSecond;
        _time = time;
        // A quarter second of traffic, and at least a few blocks, so one block never exceeds the bucket.
        _burst = Math.Max(bytesPerSecond / 4.0, 64 * 1024);
        _tokens = _burst;
        _lastRefill = time.GetTimestamp();
    }

    public long BytesPerSecond { get; }

    /// <summary>Takes <paramref name="bytes"/>; returns at once while within the rate, otherwise after the needed pause.</summary>
    public ValueTask ConsumeAsync(int bytes, CancellationToken cancellationToken)
    {
        TimeSpan wait;
        lock (_gate)
        {
            var now = _time.GetTimestamp();
            _tokens = Math.Min(_burst, _tokens + _time.GetElapsedTime(_lastRefill, now).TotalSeconds * BytesPerSecond);
            _lastRefill = now;
            _tokens -= bytes;
            if (_tokens >= 0)
                return ValueTask.CompletedTask;
            wait = TimeSpan.FromSeconds(-_tokens / BytesPerSecond);
        }
        return new ValueTask(Task.Delay(wait, _time, cancellationToken));
    }
}
