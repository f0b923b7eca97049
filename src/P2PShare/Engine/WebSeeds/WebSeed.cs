using P2PShare.Protocol;

namespace P2PShare.Engine.WebSeeds;

/// <summary>
/// One web seed's standing in a torrent: the pieces it may still be asked for (all, less those it served wrong),
/// failures in a row and the last one's reason, the pause its fetch loops keep (set by the Polly retry in
/// <see cref="WebSeedResilience"/>, which computes the back-off), hash failures, and why it was dropped.
/// Pure state, guarded by the torrent session's lock; the clock is injected.
/// </summary>
internal sealed class WebSeed : IPieceSender
{
    private readonly WebSeedOptions _options;
    private readonly TimeProvider _time;
    private readonly PieceVerdicts _verdicts = new();

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

    /// <summary>The last failure's reason (names the URL and what was wrong); null before any or after a good piece.</summary>
    public string? LastFailure { get; private set; }

    /// <summary>A request failed (HTTP error, wrong length, timeout, bad data): counted, and it is dropped after too many in a row.</summary>
    public void OnFailure(string reason)
    {
        ConsecutiveFailures++;
        LastFailure = reason;
        if (ConsecutiveFailures >= _options.MaxConsecutiveFailures)
            Disable($"{ConsecutiveFailures} failures in a row, last: {reason}");
    }

    /// <summary>None of its fetch loops asks it for anything for <paramref name="delay"/> (a back-off; a later end wins).</summary>
    public void PauseFor(TimeSpan delay)
    {
        var until = _time.GetTimestamp() + (long)(delay.TotalSeconds * _time.TimestampFrequency);
        RetryAt = Math.Max(RetryAt, until);
    }

    /// <summary>What a peer list says of it: why it was dropped, or its failures in a row while it backs off; null when all is well.</summary>
    public string? Note => DisabledReason is { } reason ? $"dropped: {reason}"
        : ConsecutiveFailures > 0 ? $"{ConsecutiveFailures} failure{(ConsecutiveFailures == 1 ? "" : "s")} in a row, last: {LastFailure}" : null;

    /// <summary>A piece it fetched goes to the verifier: the task tells whether it passed (true) or failed its hash (false).</summary>
    public Task<bool> AwaitVerdict(int pieceIndex)
        => _verdicts.Await(pieceIndex);

    public void OnPieceVerified(int pieceIndex, int bytes)
    {
        _verdicts.Decide(pieceIndex, passed: true);
        ConsecutiveFailures = 0;
        LastFailure = null;
        VerifiedBytes += bytes;
    }

    /// <summary>
    /// A piece it served failed its hash: it is never asked for that piece again; too many such and it is dropped. It
    /// also counts as a failure in a row (the fetch loop then backs off).
    /// </summary>
    public void OnPieceFailed(int pieceIndex)
    {
        _verdicts.Decide(pieceIndex, passed: false);
        Has[pieceIndex] = false;
        HashFailures++;
        if (HashFailures >= _options.MaxHashFailures)
            Disable($"{HashFailures} pieces failed their hash check");
        else
            OnFailure($"piece {pieceIndex} failed its hash check");
    }

    public void Disable(string reason) => DisabledReason ??= reason;
}
