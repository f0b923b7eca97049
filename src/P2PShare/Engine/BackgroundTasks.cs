using Microsoft.Extensions.Logging;

namespace P2PShare.Engine;

/// <summary>
/// The tasks an owner started and must see finish before it is disposed (peer loops, dials, handshakes): each is
/// kept until it completes; a fault is logged, not lost. Thread-safe.
/// </summary>
internal sealed class BackgroundTasks(ILogger? logger = null)
{
    private readonly HashSet<Task> _tasks = [];

    public int Count
    {
        get { lock (_tasks) return _tasks.Count; }
    }

    /// <summary>Keeps <paramref name="task"/> until it completes; returns it.</summary>
    public Task Track(Task task)
    {
        lock (_tasks)
            _tasks.Add(task);
        _ = task.ContinueWith(t =>
        {
            lock (_tasks)
                _tasks.Remove(t);
            if (t.IsFaulted && logger is not null)
                logger.LogError(t.Exception, "Background task failed");
        }, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        return task;
    }

    /// <summary>Waits for every task still running, at most <paramref name="timeout"/>; faults are not rethrown.</summary>
    public async Task WhenAllAsync(TimeSpan timeout)
    {
        Task[] running;
        lock (_tasks)
            running = [.. _tasks];
        await Task.WhenAll(running).WaitAsync(timeout).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
    }
}
