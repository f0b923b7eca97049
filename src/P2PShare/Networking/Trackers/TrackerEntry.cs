using Polly;

namespace P2PShare.Networking.Trackers;

/// <summary>The manager's record of one tracker: its client, its resilience pipeline and its status.</summary>
internal sealed class TrackerEntry(string url, int tier, ITrackerClient? client, ResiliencePipeline? pipeline)
{
    private readonly Lock _lock = new();
    private TrackerStatus _status = TrackerStatus.Initial(url, tier);

    public string Url { get; } = url;

    public ITrackerClient? Client { get; } = client;

    public ResiliencePipeline? Pipeline { get; } = pipeline;

    /// <summary>Whether this tracker has our 'started' and not yet our 'stopped'.</summary>
    public volatile bool Started;

    public TrackerStatus Status
    {
        get
        {
            lock (_lock)
                return _status;
        }
    }

    public static TrackerEntry Unusable(string url, int tier, string reason)
    {
        var entry = new TrackerEntry(url, tier, null, null);
        entry.Update(status => status with { LastError = reason });
        return entry;
    }

    public void Update(Func<TrackerStatus, TrackerStatus> change)
    {
        lock (_lock)
            _status = change(_status);
    }
}
