namespace P2PShare.Engine;

/// <summary>
/// Incoming connections still handshaking, with when each began. When the engine's cap is reached, the one silent
/// longest (past a minimum age) is cancelled to make room: a real peer sends its handshake at once, so a slot held by
/// a connection that said nothing for a while is better given to a newcomer than kept until its timeout (otherwise
/// silent connections from a few hosts would lock everyone out for the whole handshake timeout). Thread-safe.
/// </summary>
internal sealed class PendingHandshakeTable(TimeProvider time)
{
    private readonly object _gate = new();
    private readonly Dictionary<long, (long StartedAt, CancellationTokenSource Cancel)> _pending = [];
    private long _nextId;

    public int Count
    {
        get { lock (_gate) return _pending.Count; }
    }

    /// <summary>Registers a handshake; dispose the result when it ends.</summary>
    public IDisposable Add(CancellationTokenSource cancel)
    {
        lock (_gate)
        {
            var id = ++_nextId;
            _pending[id] = (time.GetTimestamp(), cancel);
            return new Registration(this, id);
        }
    }

    /// <summary>Cancels the oldest handshake in progress if it began at least <paramref name="minimumAge"/> ago; false when none did.</summary>
    public bool CancelOldest(TimeSpan minimumAge)
    {
        CancellationTokenSource? victim = null;
        lock (_gate)
        {
            var now = time.GetTimestamp();
            long oldestId = 0;
            var oldestAge = minimumAge;
            foreach (var (id, entry) in _pending)
            {
                var age = time.GetElapsedTime(entry.StartedAt, now);
                if (age >= oldestAge)
                {
                    oldestAge = age;
                    oldestId = id;
                    victim = entry.Cancel;
                }
            }
            if (victim is null)
                return false;
            _pending.Remove(oldestId);
        }
        try
        {
            victim.Cancel();
        }
        catch (ObjectDisposedException)
        {
            // It ended meanwhile.
        }
        return true;
    }

    private void Remove(long id)
    {
        lock (_gate)
            _pending.Remove(id);
    }

    private sealed class Registration(PendingHandshakeTable table, long id) : IDisposable
    {
        public void Dispose() => table.Remove(id);
    }
}
