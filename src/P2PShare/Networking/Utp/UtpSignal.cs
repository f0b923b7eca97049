namespace P2PShare.Networking.Utp;

/// <summary>
/// Wakes one waiting reader or writer. Prepared under the connection's lock, awaited outside it; continuations run
/// asynchronously so user code never runs on the UDP receive loop or inside the lock.
/// </summary>
internal sealed class UtpSignal
{
    private TaskCompletionSource? _waiter;

    /// <summary>Call under the lock: the task completes at the next <see cref="Set"/>.</summary>
    public Task Prepare()
    {
        _waiter ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        return _waiter.Task;
    }

    /// <summary>Call under the lock.</summary>
    public void Set()
    {
        var waiter = _waiter;
        _waiter = null;
        waiter?.TrySetResult();
    }
}
