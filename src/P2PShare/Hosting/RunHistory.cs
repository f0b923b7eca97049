using P2PShare.Engine;

namespace P2PShare.Hosting;

/// <summary>
/// The little history a diagnosis needs that no snapshot holds: when the run started, when data last arrived, when a
/// seed was last connected. Fed once a second from the progress the run computes anyway.
/// </summary>
internal sealed class RunHistory(TimeProvider time)
{
    private readonly long _started = time.GetTimestamp();
    private long _lastProgress = time.GetTimestamp();
    private long _lastSeed;
    private long _downloaded = -1;
    private long _verified = -1;

    public void Observe(TorrentProgress progress)
    {
        var now = time.GetTimestamp();
        if (progress.DownloadedPayload != Interlocked.Read(ref _downloaded) || progress.VerifiedBytes != Interlocked.Read(ref _verified) || progress.IsComplete)
        {
            Interlocked.Exchange(ref _downloaded, progress.DownloadedPayload);
            Interlocked.Exchange(ref _verified, progress.VerifiedBytes);
            Interlocked.Exchange(ref _lastProgress, now);
        }
        if (progress.Seeds > 0)
            Interlocked.Exchange(ref _lastSeed, now);
    }

    /// <summary>The metadata phase: a metadata piece received counts as progress.</summary>
    public void ObserveMetadata(MetadataFetchProgress progress)
    {
        if (progress.PiecesReceived != Interlocked.Read(ref _verified))
        {
            Interlocked.Exchange(ref _verified, progress.PiecesReceived);
            Interlocked.Exchange(ref _lastProgress, time.GetTimestamp());
        }
    }

    public TimeSpan Running(TimeProvider clock) => clock.GetElapsedTime(_started);

    public TimeSpan SinceProgress(TimeProvider clock) => clock.GetElapsedTime(Interlocked.Read(ref _lastProgress));

    /// <summary>Null when no seed was ever connected, or one is connected now.</summary>
    public TimeSpan? SinceSeedSeen(TimeProvider clock)
    {
        var last = Interlocked.Read(ref _lastSeed);
        if (last == 0)
            return null;
        var since = clock.GetElapsedTime(last);
        return since < TimeSpan.FromSeconds(2) ? null : since;
    }
}
