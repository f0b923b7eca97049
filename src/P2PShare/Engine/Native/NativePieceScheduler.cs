namespace P2PShare.Engine.Native;

/// <summary>
/// Decides which whole pieces to ask a peer for: lowest missing index first, several outstanding per
/// peer, a deadline per request. A piece whose request timed out at one peer is asked of the others first.
/// Pure: time comes from the <see cref="TimeProvider"/>.
/// </summary>
internal sealed class NativePieceScheduler<TPeer>(int pieceCount, TimeSpan requestTimeout, TimeProvider time)
    where TPeer : class
{
    private readonly Dictionary<int, (TPeer Peer, DateTimeOffset Deadline)> _inFlight = [];
    private readonly Dictionary<int, (TPeer Peer, DateTimeOffset Until)> _avoid = [];

    public int InFlightCount => _inFlight.Count;

    /// <summary>Picks up to <paramref name="slots"/> pieces for <paramref name="peer"/> and records them as requested.</summary>
    public List<int> Pick(TPeer peer, int slots, Func<int, bool> peerHas, Func<int, bool> weHave)
    {
        var picked = new List<int>();
        if (slots <= 0)
            return picked;
        var now = time.GetUtcNow();
        for (var index = 0; index < pieceCount && picked.Count < slots; index++)
        {
            if (weHave(index) || _inFlight.ContainsKey(index) || !peerHas(index))
                continue;
            if (_avoid.TryGetValue(index, out var avoid) && ReferenceEquals(avoid.Peer, peer) && avoid.Until > now)
                continue;
            _inFlight[index] = (peer, now + requestTimeout);
            picked.Add(index);
        }
        return picked;
    }

    public bool IsRequestedFrom(int index, TPeer peer) =>
        _inFlight.TryGetValue(index, out var entry) && ReferenceEquals(entry.Peer, peer);

    /// <summary>The piece arrived (or was refused): it is no longer outstanding.</summary>
    public void Release(int index) => _inFlight.Remove(index);

    /// <summary>The peer answered badly for this piece: forget the request and try others first for a while.</summary>
    public void Penalise(int index, TPeer peer)
    {
        _inFlight.Remove(index);
        _avoid[index] = (peer, time.GetUtcNow() + requestTimeout * 2);
    }

    /// <summary>The peer is gone: all its requests become free.</summary>
    public void ReleaseAll(TPeer peer)
    {
        foreach (var index in _inFlight.Where(e => ReferenceEquals(e.Value.Peer, peer)).Select(e => e.Key).ToList())
            _inFlight.Remove(index);
    }

    /// <summary>Requests past their deadline: removed, and their peer avoided for those pieces.</summary>
    public List<(TPeer Peer, int Index)> Expire()
    {
        var now = time.GetUtcNow();
        var expired = _inFlight.Where(e => e.Value.Deadline <= now).Select(e => (e.Value.Peer, e.Key)).ToList();
        foreach (var (peer, index) in expired)
            Penalise(index, peer);
        foreach (var index in _avoid.Where(e => e.Value.Until <= now).Select(e => e.Key).ToList())
            _avoid.Remove(index);
        return expired;
    }
}
