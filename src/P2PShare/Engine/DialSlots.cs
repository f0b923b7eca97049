namespace P2PShare.Engine;

/// <summary>
/// Half-open connections (dials in progress) of one dialer, within its own limit and the engine's
/// <see cref="ConnectionBudget"/>: a slot is taken from both or from neither. Thread-safe.
/// </summary>
internal sealed class DialSlots(ConnectionBudget budget, int max)
{
    private int _count;

    /// <summary>Dials in progress now.</summary>
    public int Count => Volatile.Read(ref _count);

    public bool TryTake()
    {
        if (Interlocked.Increment(ref _count) > max)
        {
            Interlocked.Decrement(ref _count);
            return false;
        }
        if (budget.TryStartDial())
            return true;
        Interlocked.Decrement(ref _count);
        return false;
    }

    public void Release()
    {
        Interlocked.Decrement(ref _count);
        budget.EndDial();
    }
}
