namespace P2PShare.Engine;

/// <summary>
/// Engine-wide connection counts: open peer connections and dials in progress, against limits that can change while
/// running. Every torrent takes its slots here, so one busy torrent cannot exceed what the process allows.
/// </summary>
internal sealed class ConnectionBudget(int maxConnections, int maxHalfOpen)
{
    private readonly object _gate = new();
    private int _open;
    private int _halfOpen;
    private int _maxConnections = maxConnections;
    private int _maxHalfOpen = maxHalfOpen;

    /// <summary>A budget with no limit (a torrent run on its own, in tests).</summary>
    public static ConnectionBudget Unlimited() => new(int.MaxValue / 2, int.MaxValue / 2);

    public int Open
    {
        get { lock (_gate) return _open; }
    }

    public int HalfOpen
    {
        get { lock (_gate) return _halfOpen; }
    }

    public bool IsFull
    {
        get { lock (_gate) return _open >= _maxConnections; }
    }

    public void SetLimits(int maxConnections, int maxHalfOpen)
    {
        lock (_gate)
        {
            _maxConnections = maxConnections;
            _maxHalfOpen = maxHalfOpen;
        }
    }

    /// <summary>Takes a slot for an established connection; false at the limit.</summary>
    public bool TryOpen()
    {
        lock (_gate)
        {
            if (_open >= _maxConnections)
                return false;
            _open++;
            return true;
        }
    }

    public void Close()
    {
        lock (_gate)
            _open = Math.Max(0, _open - 1);
    }

    /// <summary>Takes a dial slot; false when too many dials are in progress or they would overfill the connection limit.</summary>
    public bool TryStartDial()
    {
        lock (_gate)
        {
            if (_halfOpen >= _maxHalfOpen || _open + _halfOpen >= _maxConnections)
                return false;
            _halfOpen++;
            return true;
        }
    }

    public void EndDial()
    {
        lock (_gate)
            _halfOpen = Math.Max(0, _halfOpen - 1);
    }
}
