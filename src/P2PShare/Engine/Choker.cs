namespace P2PShare.Engine;

/// <summary>
/// BEP 3-style choking: a fixed number of upload slots go to the interested peers with the best
/// rates (re-chosen every 10 s), plus one optimistic unchoke rotated every 30 s that favours newly
/// connected peers. Pure: the clock and the random source are injected.
/// </summary>
internal sealed class Choker(int uploadSlots, TimeProvider time, Random random)
{
    public static readonly TimeSpan RechokeInterval = TimeSpan.FromSeconds(10);
    public static readonly TimeSpan OptimisticInterval = TimeSpan.FromSeconds(30);
    private DateTimeOffset _lastOptimisticAt = DateTimeOffset.MinValue;

    /// <summary>Regular slots (the optimistic one comes on top); changeable while running, read at each decision.</summary>
    public int UploadSlots { get; set; } = uploadSlots;

    public int? OptimisticPeer { get; private set; }

    /// <summary>The ids to unchoke now; every other peer is choked.</summary>
    public IReadOnlySet<int> Decide(IReadOnlyList<ChokeCandidate> candidates)
    {
        var interested = candidates.Where(c => c.IsInterested).ToList();
        var regular = interested
            .Where(c => !c.IsSnubbed)
            .OrderByDescending(c => c.Rate)
            .Take(UploadSlots)
            .Select(c => c.Id)
            .ToHashSet();

        var now = time.GetUtcNow();
        var optimisticStillValid = OptimisticPeer is { } current && interested.Any(c => c.Id == current) && !regular.Contains(current);
        if (!optimisticStillValid || now - _lastOptimisticAt >= OptimisticInterval)
        {
            OptimisticPeer = PickOptimistic(interested.Where(c => !regular.Contains(c.Id)).ToList());
            _lastOptimisticAt = now;
        }
        if (OptimisticPeer is { } optimistic)
            regular.Add(optimistic);
        return regular;
    }

    private int? PickOptimistic(List<ChokeCandidate> choked)
    {
        if (choked.Count == 0)
            return null;
        // New peers get three chances in the draw: they have nothing to trade yet.
        var weighted = choked.SelectMany(c => Enumerable.Repeat(c.Id, c.IsNew ? 3 : 1)).ToList();
        return weighted[random.Next(weighted.Count)];
    }
}
