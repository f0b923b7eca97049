namespace P2PShare.Networking.Native;

/// <summary>
/// Bounds the accepted connections still in their handshake. Until it completes a newcomer may hold up to a line's
/// worth of memory for the whole handshake timeout, so without a bound many silent connections add up; past the
/// bound a new connection is closed at once. Thread-safe.
/// </summary>
internal sealed class NativePendingHandshakes(int max)
{
    /// <summary>The bound both the native node and the hybrid node's native port use unless told otherwise.</summary>
    public const int DefaultMax = 32;

    private int _pending;

    public int Max { get; } = max;

    public int Count => Volatile.Read(ref _pending);

    /// <summary>Takes a slot; false when <see cref="Max"/> handshakes are pending already. Each true needs one <see cref="Exit"/>.</summary>
    public bool TryEnter()
    {
        if (Interlocked.Increment(ref _pending) <= Max)
            return true;
        Interlocked.Decrement(ref _pending);
        return false;
    }

    /// <summary>Gives the slot back once the handshake has succeeded or failed.</summary>
    public void Exit() => Interlocked.Decrement(ref _pending);
}
