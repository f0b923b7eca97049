using System.Net;

namespace P2PShare.Networking.Dht;

/// <summary>
/// Token buckets for incoming queries: one per source IP address (a bounded table) and one for the whole node.
/// A query over either budget is dropped unanswered. Not thread-safe.
/// </summary>
internal sealed class QueryRateLimiter(double perSourceRate, int perSourceBurst, int maxSources, double globalRate, TimeProvider time)
{
    private readonly Dictionary<IPAddress, Bucket> _sources = [];
    private Bucket _global = new(globalRate, time.GetTimestamp());

    public int TrackedSources => _sources.Count;

    public bool TryAcquire(IPAddress source)
    {
        var now = time.GetTimestamp();
        if (!_sources.TryGetValue(source, out var bucket))
        {
            if (_sources.Count >= maxSources)
            {
                Prune();
                if (_sources.Count >= maxSources)
                    return false;
            }
            bucket = new Bucket(perSourceBurst, now);
        }
        bucket = Refill(bucket, now, perSourceRate, perSourceBurst);
        _global = Refill(_global, now, globalRate, globalRate);
        if (bucket.Tokens < 1 || _global.Tokens < 1)
        {
            _sources[source] = bucket;
            return false;
        }
        _sources[source] = bucket with { Tokens = bucket.Tokens - 1 };
        _global = _global with { Tokens = _global.Tokens - 1 };
        return true;
    }

    /// <summary>Forgets sources whose bucket has refilled (they have been quiet long enough).</summary>
    public void Prune()
    {
        var now = time.GetTimestamp();
        foreach (var (source, bucket) in _sources.ToList())
            if (Refill(bucket, now, perSourceRate, perSourceBurst).Tokens >= perSourceBurst)
                _sources.Remove(source);
    }

    private Bucket Refill(Bucket bucket, long now, double rate, double burst) =>
        new(Math.Min(burst, bucket.Tokens + time.GetElapsedTime(bucket.At, now).TotalSeconds * rate), now);

    private readonly record struct Bucket(double Tokens, long At);
}
