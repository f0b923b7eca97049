namespace P2PShare.Engine;

/// <summary>
/// Slow start of one peer's request pipeline. A new peer's measured rate is zero at first and then lags behind (it is a
/// five-second average), so a queue sized by the rate alone stays at its minimum for the first seconds; over a long link
/// that minimum is the cap (16 blocks per 50 ms round trip is 5 MB/s). While the ramp runs, each block received lets one
/// more request out, so the queue doubles every round trip, as TCP's congestion window does in its own slow start. The
/// ramp ends when one second's bytes grew by less than a quarter over the second before (the link or the peer is the
/// limit now, not our queue) or when a request times out; from then on the rate alone sizes the queue. A choke discards
/// the ramp (the scheduler starts a new one at the next unchoke). Pure: a <see cref="TimeProvider"/> and nothing else;
/// called under the torrent session's lock.
/// </summary>
internal sealed class RequestRamp
{
    /// <summary>A second's bytes must reach this multiple of the second before for the ramp to go on.</summary>
    public const double GrowthToContinue = 1.25;

    private static readonly TimeSpan Interval = TimeSpan.FromSeconds(1);
    private readonly TimeProvider _time;
    private readonly int _maxBlocks;
    private long _intervalStart;
    private long _intervalBytes;
    private long _previousBytes = -1;

    public RequestRamp(int initialBlocks, int maxBlocks, TimeProvider time)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(initialBlocks, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxBlocks, initialBlocks);
        _time = time;
        _maxBlocks = maxBlocks;
        Blocks = initialBlocks;
    }

    /// <summary>True until the ramp ended; while true, <see cref="Blocks"/> is a floor of the peer's queue target.</summary>
    public bool Active { get; private set; } = true;

    /// <summary>The queue size the ramp has reached (at most the hard cap).</summary>
    public int Blocks { get; private set; }

    /// <summary>A requested block of <paramref name="bytes"/> arrived: one more request may go out, unless the rate stopped growing.</summary>
    public void OnBlock(int bytes)
    {
        if (!Active)
            return;
        var now = _time.GetTimestamp();
        if (_intervalBytes == 0 && _previousBytes < 0)
            _intervalStart = now;
        else if (_time.GetElapsedTime(_intervalStart, now) >= Interval)
        {
            if (_previousBytes >= 0 && _intervalBytes < _previousBytes * GrowthToContinue)
            {
                Active = false;
                return;
            }
            _previousBytes = _intervalBytes;
            _intervalBytes = 0;
            _intervalStart = now;
        }
        _intervalBytes += bytes;
        if (Blocks < _maxBlocks)
            Blocks++;
    }

    /// <summary>A request timed out: the queue follows the measured rate from now on.</summary>
    public void Stop() => Active = false;
}
