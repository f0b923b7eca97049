namespace P2PShare.Engine.Picking;

/// <summary>
/// Streaming: pieces given a deadline come before everything else, earliest deadline first (ties by piece
/// index, so a stream is fetched in order). Deadlines are absolute times from the injected clock, so ones
/// set at different moments compare correctly; a piece we have loses its deadline.
/// <para>Each deadline belongs to an owner (a stream reader): two readers whose windows overlap each keep their own,
/// the piece is due at the earlier of them, and one reader dropping its window leaves the other's in place. (Without
/// owners, a player's finished request dropping its window after the next request had set one took the new
/// window's first pieces with it, and a seek waited for the rest of the file.)</para>
/// </summary>
internal sealed class DeadlinePicker(TimeProvider time, IPicker next) : IPicker
{
    private const double MaxSeconds = 365 * 24 * 3600;
    /// <summary>The owner of deadlines set without one.</summary>
    private static readonly object Anonymous = new();
    private readonly SortedSet<(long Due, int Piece)> _byDue = [];
    /// <summary>Each piece's effective deadline: the earliest of its owners'.</summary>
    private readonly Dictionary<int, long> _due = [];
    private readonly Dictionary<int, List<(object Owner, long Due)>> _owners = [];
    private readonly List<(long, int)> _done = [];

    public int Count => _due.Count;

    /// <summary>
    /// The piece is wanted within <paramref name="within"/> from now, by <paramref name="owner"/> (replaces that owner's
    /// earlier deadline for it; others' stay).
    /// </summary>
    public void SetDeadline(int piece, TimeSpan within, object? owner = null)
    {
        owner ??= Anonymous;
        // Clamped to a year either way, so no deadline overflows the clock's ticks.
        var seconds = Math.Clamp(within.TotalSeconds, -MaxSeconds, MaxSeconds);
        var due = time.GetTimestamp() + (long)(seconds * time.TimestampFrequency);
        if (!_owners.TryGetValue(piece, out var owners))
            _owners.Add(piece, owners = []);
        owners.RemoveAll(o => ReferenceEquals(o.Owner, owner));
        owners.Add((owner, due));
        Update(piece, owners);
    }

    /// <summary>Drops <paramref name="owner"/>'s deadline for the piece, or every deadline for it when no owner is given.</summary>
    public void ClearDeadline(int piece, object? owner = null)
    {
        if (!_owners.TryGetValue(piece, out var owners))
            return;
        if (owner is null)
            owners.Clear();
        else
            owners.RemoveAll(o => ReferenceEquals(o.Owner, owner));
        Update(piece, owners);
    }

    /// <summary>The piece's effective deadline becomes the earliest of its owners' (none left: no deadline).</summary>
    private void Update(int piece, List<(object Owner, long Due)> owners)
    {
        if (_due.Remove(piece, out var old))
            _byDue.Remove((old, piece));
        if (owners.Count == 0)
        {
            _owners.Remove(piece);
            return;
        }
        var due = long.MaxValue;
        foreach (var (_, ownerDue) in owners)
            due = Math.Min(due, ownerDue);
        _due.Add(piece, due);
        _byDue.Add((due, piece));
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
            _owners.Remove(entry.Item2);
        }
        _done.Clear();
        return found >= 0 ? found : next.Pick(context);
    }
}
