namespace P2PShare.Networking.Trackers;

/// <summary>
/// BEP 12 ordering: tiers are tried in order; each tier is shuffled once, and a tracker that answers
/// moves to the front of its tier. Thread-safe.
/// </summary>
internal sealed class TrackerTierList<T> where T : class
{
    private readonly List<List<T>> _tiers;
    private readonly Lock _lock = new();

    public TrackerTierList(IEnumerable<IEnumerable<T>> tiers, Random random)
    {
        _tiers = [];
        foreach (var tier in tiers)
        {
            var items = tier.ToList();
            if (items.Count == 0)
                continue;
            lock (random)
                random.Shuffle(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(items));
            _tiers.Add(items);
        }
    }

    public int TierCount => _tiers.Count;

    /// <summary>All trackers, first tier first, in the current order within each tier.</summary>
    public IReadOnlyList<T> InOrder()
    {
        lock (_lock)
            return [.. _tiers.SelectMany(tier => tier)];
    }

    public IReadOnlyList<IReadOnlyList<T>> Tiers()
    {
        lock (_lock)
            return [.. _tiers.Select(tier => (IReadOnlyList<T>)[.. tier])];
    }

    /// <summary>Moves the item to the front of its tier; the other tiers keep their order.</summary>
    public void Promote(T item)
    {
        lock (_lock)
        {
            foreach (var tier in _tiers)
            {
                var index = tier.IndexOf(item);
                if (index <= 0)
                    continue;
                tier.RemoveAt(index);
                tier.Insert(0, item);
                return;
            }
        }
    }
}
