namespace P2PShare.Networking;

/// <summary>
/// A rate limit: callers take bytes and, when the bucket is in debt, wait (a timer, not a spin) until the rate
/// has paid it back. Buckets nest: a torrent's bucket has the engine's as its parent, so a transfer pays both and
/// the stricter one sets the pace. A rate of 0 means unlimited; the rate can be changed while running.
/// </summary>
internal sealed class TokenBucket
{
    private readonly TimeProvider _time;
    private readonly TokenBucket? _parent;
    private readonly object _gate = new();
    private double _burst;
    private double _tokens;
    private long _lastRefill;
    private long _bytesPerSecond;

    public TokenBucket(long bytesPerSecond, TimeProvider time, TokenBucket? parent = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(bytesPerSecond);
        _time = time;
        _parent = parent;
        _lastRefill = time.GetTimestamp();
        SetRate(bytesPerSecond);
        _tokens = _burst;
    }

    /// <summary>The limit in bytes per second; 0: none.</summary>
    public long BytesPerSecond => Interlocked.Read(ref _bytesPerSecond);

    public bool IsUnlimited => BytesPerSecond == 0 && (_parent?.IsUnlimited ?? true);

    /// <summary>Changes the limit (0: none). Debt already taken is kept, so a lowered rate applies at once.</summary>
    public void SetRate(long bytesPerSecond)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(bytesPerSecond);
        lock (_gate)
        {
            Refill();
            Interlocked.Exchange(ref _bytesPerSecond, bytesPerSecond);
            // A quarter second of traffic, and at least a few blocks, so one block never exceeds the bucket.
            _burst = Math.Max(bytesPerSecond / 4.0, 64 * 1024);
            _tokens = Math.Min(_tokens, _burst);
        }
    }

    /// <summary>Takes <paramref name="bytes"/>; returns at once while within the rate, otherwise after the needed pause.</summary>
    public ValueTask ConsumeAsync(int bytes, CancellationToken cancellationToken)
    {
        var wait = Take(bytes);
        if (_parent is not null)
        {
            if (wait == TimeSpan.Zero)
                return _parent.ConsumeAsync(bytes, cancellationToken);
            return WaitThenParentAsync(wait, bytes, cancellationToken);
        }
        return wait == TimeSpan.Zero ? ValueTask.CompletedTask : new ValueTask(Task.Delay(wait, _time, cancellationToken));
    }

    private async ValueTask WaitThenParentAsync(TimeSpan wait, int bytes, CancellationToken cancellationToken)
    {
        await Task.Delay(wait, _time, cancellationToken).ConfigureAwait(false);
        await _parent!.ConsumeAsync(bytes, cancellationToken).ConfigureAwait(false);
    }

    private TimeSpan Take(int bytes)
    {
        lock (_gate)
        {
            var rate = _bytesPerSecond;
            if (rate == 0)
                return TimeSpan.Zero;
            Refill();
            _tokens -= bytes;
            return _tokens >= 0 ? TimeSpan.Zero : TimeSpan.FromSeconds(-_tokens / rate);
        }
    }

    private void Refill()
    {
        var now = _time.GetTimestamp();
        if (_bytesPerSecond > 0)
            _tokens = Math.Min(_burst, _tokens + _time.GetElapsedTime(_lastRefill, now).TotalSeconds * _bytesPerSecond);
        _lastRefill = now;
    }
}
