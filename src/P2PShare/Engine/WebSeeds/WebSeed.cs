using P2PShare.Protocol;

namespace P2PShare.Engine.WebSeeds;

/// <summary>
/// One web seed's standing in a torrent: the pieces it may still be asked for (all, less those it served wrong),
/// failures in a row and the back-off they earn (doubling, capped), hash failures, and why it was dropped.
/// Pure state, guarded by the torrent session's lock; the clock is injected.
/// </summary>
internal sealed class WebSeed : IPieceSender
{
    private readonly WebSeedOptions _options;
    private readonly TimeProvider _time;
    private readonly Dictionary<int, TaskCompletionSource<bool>> _verdicts = [];

    public WebSeed(Uri url, int pieceCount, WebSeedOptions options, TimeProvider time)
    {
        Url = url;
        _options = options;
        _time = time;
        Has = new Bitfield(pieceCount);
        Has.SetAll();
        DownloadRate = new RateEstimator(time);
    }

    public Uri Url { get; }

    /// <summary>What the picker may give it: every piece but those that failed their hash from it.</summary>
    public Bitfield Has { get; }

    public RateEstimator DownloadRate { get; }

    public int ConsecutiveFailures { get; private set; }

    public int HashFailures { get; private set; }

    public long VerifiedBytes { get; private set; }

    public int InFlight { get; set; }

    /// <summary>Why it was dropped; null while in use.</summary>
    public string? DisabledReason { get; private set; }

    public bool IsDisabled => DisabledReason is not null;

    /// <summary>Timestamp (of the injected clock) before which it is not asked again.</summary>
    public long RetryAt { get; private set; }

    /// <summary>How long until it may be asked again (zero: now).</summary>
    public TimeSpan WaitTime()
    {
        var now = _time.GetTimestamp();
        return RetryAt <= now ? TimeSpan.Zero : _time.GetElapsedTime(now, RetryAt);
    }

    /// <summary>A request failed (HTTP error, wrong length, timeout): back off, or drop it after too many in a row.</summary>
    public void OnFailure(string reason)
    {
        ConsecutiveFailures++;
        if (ConsecutiveFailures >= _options.MaxConsecutiveFailures)
        {
            Disable($"{ConsecutiveFailures} failures in a row, last: {reason}");
            return;
        }
        var delay = Backoff(ConsecutiveFailures);
        RetryAt = _time.GetTimestamp() + (long)(delay.TotalSeconds * _time.TimestampFrequency);
    }

    /// <summary>A piece it fetched goes to the verifier: the task tells whether it passed (true) or failed its hash (false).</summary>
    public Task<bool> AwaitVerdict(int pieceIndex)
    {
        var verdict = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
        _verdicts[pieceIndex] = verdict;
        return verdict.Task;
    }

    public void OnPieceVerified(int pieceIndex, int bytes)
    {
        if (_verdicts.Remove(pieceIndex, out var verdict))
            verdict.TrySetResult(true);
        ConsecutiveFailures = 0;
        VerifiedBytes += bytes;
    }

    /// <summary>A piece it served failed its hash: it is never asked for that piece again; too many such and it is dropped.</summary>
    public void OnPieceFailed(int pieceIndex)
    {
        if (_verdicts.Remove(pieceIndex, out var verdict))
            verdict.TrySetResult(false);
        Has[pieceIndex] = false;
        HashFailures++;
        if (HashFailures >= _options.MaxHashFailures)
            Disable($"{HashFailures} pieces failed their hash check");
        else
            OnFailure($"piece {pieceIndex} failed its hash check");
    }

    public void Disable(string reason) => DisabledReason ??= reason;

    /// <summary>The pause after <paramref name="failures"/> failures in a row: first, doubled each time, capped.</summary>
    public TimeSpan Backoff(int failures)
    {
        var factor = Math.Pow(2, Math.Min(failures - 1, 30));
        var delay = _options.FirstBackoff.TotalSeconds * factor;
        return TimeSpan.FromSeconds(Math.Min(delay, _options.MaxBackoff.TotalSeconds));
    }
}
