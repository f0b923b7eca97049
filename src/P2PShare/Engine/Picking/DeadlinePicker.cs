namespace P2PShare.Engine.Picking;

/// <summary>
/// Streaming: pieces given a deadline come before everything else, earliest deadline first (ties by piece
/// index, so a stream is fetched in order). Deadlines are absolute times from the injected clock, so ones
/// set at different moments compare correctly; a piece we have loses its deadline.
/// </summary>
internal sealed class DeadlinePicker(TimeProvider time, IPicker next) : IPicker
{
    private const double MaxSeconds = 365 * 24 * 3600;
    private readonly SortedSet<(long Due, int Piece)> _byDue = [];
    private readonly Dictionary<int, long> _due = [];
    private readonly List<(long, int)> _done = [];

    public int Count => _due.Count;

    /// <summary>The piece is wanted within <paramref name="within"/> from now (replaces an earlier deadline).</summary>
    public void SetDeadline(int piece, TimeSpan within)
    {
        ClearDeadline(piece);
        // Clamped to a year either way, so no deadline overflows the clock's ticks.
        var seconds = Math.Clamp(within.TotalSeconds, -MaxSeconds, MaxSeconds);
        var due = time.GetTimestamp() + (long)(seconds * time.TimestampFrequency);
        _due.Add(piece, due);
        _byDue.Add((due, piece));
    }

    public void ClearDeadline(int piece)
    {
        if (_due.Remove(piece, out var due))
            _byDue.Remove((due, piece));
    }

    /// <summary>How long until the piece is due (negative: overdue); null when it has no deadline.</summary>
    public TimeSpan? TimeLeft(int piece) =>
        _due.TryGetValue(piece, out var due) ? TimeSpan.FromSeconds((double)(due - time.GetTimestamp()) / time.TimestampFrequency) : null;

    public bool HasDeadline(int piece) => _due.ContainsKey(piece);

    /// <summary>The earliest-due candidate with a deadline, or -1 (no deferring to the rest of the chain).</summary>
    public int PickDue(PickContext context)
    {
        foreach (var entry in _byDue)
            if (!context.WeHave[entry.Piece] && context.IsCandidate(entry.Piece))
                return entry.Piece;
        return -1;
    }

    public int Pick(PickContext context)
    {
        // No deadlines (not streaming): no enumerator of the empty set on every pick.
        if (_byDue.Count == 0)
            return next.Pick(context);
        var found = -1;
        foreach (var entry in _byDue)
        {
            if (context.WeHave[entry.Piece])
            {
                _done.Add(entry);
                continue;
            }
            if (context.IsCandidate(entry.Piece))
            {
                found = entry.Piece;
                break;
            }
        }
        foreach (var entry in _done)
        {
            _byDue.Remove(entry);
            _due.Remove(entry.Item2);
        }
        _done.Clear();
        return found >= 0 ? found : next.Pick(context);
    }
}
