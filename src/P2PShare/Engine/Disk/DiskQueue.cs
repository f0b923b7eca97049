using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace P2PShare.Engine.Disk;

/// <summary>
/// The engine's one disk queue: completed pieces wait here to be hashed and written by a fixed number of
/// workers, within a memory budget in bytes (jobs waiting plus jobs running). Over budget, producers wait:
/// <see cref="EnqueueAsync"/> until its job fits, and a receive loop in <see cref="WaitForRoomAsync"/> before
/// it reads more from its socket, so a disk slower than the network slows the senders (TCP flow control)
/// instead of growing memory. Admission is first come, first served; a job larger than the whole budget is
/// admitted alone. Nothing polls: waiters are woken when a job finishes.
/// </summary>
internal sealed class DiskQueue : IAsyncDisposable
{
    private static readonly Lazy<DiskQueue> SharedQueue = new(() => new DiskQueue(new DiskQueueOptions()));
    private readonly Lock _lock = new();
    private readonly Channel<DiskJob> _admitted = Channel.CreateUnbounded<DiskJob>(new UnboundedChannelOptions { SingleWriter = false, SingleReader = false });
    private readonly LinkedList<Admission> _waiting = new();
    private readonly List<TaskCompletionSource> _roomWaiters = [];
    private readonly CancellationTokenSource _stopping = new();
    private readonly Task[] _workers;
    private readonly ILogger _logger;
    private long _held;
    private long _highWater;
    private double _averageJobMilliseconds;
    private long _jobs;
    private int _largestJob;
    private int _running;
    private bool _disposed;

    public DiskQueue(DiskQueueOptions options, ILogger? logger = null)
    {
        options.Validate();
        Options = options;
        _logger = logger ?? NullLogger.Instance;
        _workers = new Task[options.Workers];
        for (var i = 0; i < _workers.Length; i++)
            _workers[i] = Task.Run(WorkAsync);
    }

    /// <summary>A process-wide queue with default options, for sessions not given the engine's own. Never disposed.</summary>
    public static DiskQueue Shared => SharedQueue.Value;

    public DiskQueueOptions Options { get; }

    /// <summary>Bytes of admitted jobs not yet finished.</summary>
    public long BytesHeld
    {
        get
        {
            lock (_lock)
                return _held;
        }
    }

    /// <summary>The most bytes ever held at once.</summary>
    public long HighWaterBytes
    {
        get
        {
            lock (_lock)
                return _highWater;
        }
    }

    /// <summary>Producers waiting in <see cref="EnqueueAsync"/>.</summary>
    public int WaitingProducers
    {
        get
        {
            lock (_lock)
                return _waiting.Count;
        }
    }

    /// <summary>Mean time a job (hash and write of a piece) took recently, in milliseconds (a moving average); null before the first.</summary>
    public double? AverageJobMilliseconds
    {
        get
        {
            lock (_lock)
                return _jobs == 0 ? null : _averageJobMilliseconds;
        }
    }

    /// <summary>Jobs being run by a worker now.</summary>
    public int Running => Volatile.Read(ref _running);

    /// <summary>Whether a receive loop may read on: nobody waiting to enqueue, and a job as large as the largest seen would fit.</summary>
    public bool HasRoom
    {
        get
        {
            lock (_lock)
                return HasRoomLocked();
        }
    }

    /// <summary>
    /// Queues a job; completes at once when it fits in the budget, else when enough earlier jobs have finished.
    /// Cancelled while waiting: the job is not queued (and never runs). The job's own outcome is <see cref="DiskJob.Completion"/>.
    /// </summary>
    public ValueTask EnqueueAsync(DiskJob job, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(job);
        if (cancellationToken.IsCancellationRequested)
            return ValueTask.FromCanceled(cancellationToken);
        Admission admission;
        lock (_lock)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (_waiting.Count == 0 && FitsLocked(job.Bytes))
            {
                AdmitLocked(job);
                return ValueTask.CompletedTask;
            }
            admission = new Admission(this, job);
            _waiting.AddLast(admission.Node);
        }
        if (cancellationToken.CanBeCanceled)
        {
            var registration = cancellationToken.Register(static state => ((Admission)state!).Owner.CancelAdmission((Admission)state!), admission);
            lock (_lock)
            {
                if (admission.Node.List is not null)
                {
                    admission.Registration = registration;
                    registration = default;
                }
            }
            registration.Unregister(); // Admitted or cancelled already: nothing left to cancel.
        }
        return new ValueTask(admission.Waiter.Task);
    }

    /// <summary>
    /// Counts bytes that outlive their job against the budget (verified pieces waiting to be written together), as
    /// admitted jobs are, until <see cref="ReleaseRetained"/>: memory stays within one engine-wide bound.
    /// </summary>
    public void Retain(int bytes)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(bytes);
        lock (_lock)
        {
            _held += bytes;
            _highWater = Math.Max(_highWater, _held);
        }
    }

    /// <summary>Frees bytes counted by <see cref="Retain"/>, letting waiting producers in.</summary>
    public void ReleaseRetained(int bytes)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(bytes);
        lock (_lock)
            ReleaseLocked(bytes);
    }

    /// <summary>Completes when a receive loop may read more: no producer is waiting and one more piece would fit (see <see cref="HasRoom"/>).</summary>
    public ValueTask WaitForRoomAsync(CancellationToken cancellationToken = default)
    {
        if (cancellationToken.IsCancellationRequested)
            return ValueTask.FromCanceled(cancellationToken);
        TaskCompletionSource waiter;
        lock (_lock)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (HasRoomLocked())
                return ValueTask.CompletedTask;
            waiter = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            _roomWaiters.Add(waiter);
        }
        if (!cancellationToken.CanBeCanceled)
            return new ValueTask(waiter.Task);
        return new ValueTask(WaitCancellableAsync(waiter, cancellationToken));
    }

    /// <summary>Stops taking jobs, fails every waiter, runs the jobs already admitted with a cancelled token and waits for the workers.</summary>
    public async ValueTask DisposeAsync()
    {
        List<Admission> admissions;
        List<TaskCompletionSource> rooms;
        lock (_lock)
        {
            if (_disposed)
                return;
            _disposed = true;
            admissions = [.. _waiting];
            _waiting.Clear();
            rooms = [.. _roomWaiters];
            _roomWaiters.Clear();
        }
        var disposed = new ObjectDisposedException(nameof(DiskQueue));
        foreach (var admission in admissions)
        {
            admission.Registration.Unregister();
            admission.Waiter.TrySetException(disposed);
        }
        foreach (var room in rooms)
            room.TrySetException(disposed);
        await _stopping.CancelAsync().ConfigureAwait(false);
        _admitted.Writer.TryComplete();
        await Task.WhenAll(_workers).ConfigureAwait(false);
        _stopping.Dispose();
    }

    private async Task WaitCancellableAsync(TaskCompletionSource waiter, CancellationToken cancellationToken)
    {
        try
        {
            await waiter.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            lock (_lock)
                _roomWaiters.Remove(waiter);
            throw;
        }
    }

    private async Task WorkAsync()
    {
        await foreach (var job in _admitted.Reader.ReadAllAsync().ConfigureAwait(false))
        {
            Interlocked.Increment(ref _running);
            var started = System.Diagnostics.Stopwatch.GetTimestamp();
            try
            {
                await job.RunAsync(_stopping.Token).ConfigureAwait(false);
            }
            catch (Exception error)
            {
                // RunAsync keeps the work's exception for the job; this is only a safety net for the worker.
                _logger.LogError(error, "Disk job failed outside its work");
            }
            Interlocked.Decrement(ref _running);
            RecordJobTime(System.Diagnostics.Stopwatch.GetElapsedTime(started));
            Release(job);
            job.Complete();
        }
    }

    private void Release(DiskJob job)
    {
        lock (_lock)
            ReleaseLocked(job.Bytes);
    }

    private void CancelAdmission(Admission admission)
    {
        lock (_lock)
        {
            if (admission.Node.List is null)
                return; // Admitted (or failed by disposal) before the cancellation.
            var wasFirst = _waiting.First == admission.Node;
            _waiting.Remove(admission.Node);
            admission.Waiter.TrySetCanceled();
            // The head left: the next one may fit now, and the network may read on.
            if (wasFirst)
                ReleaseLocked(0);
        }
    }

    /// <summary>Frees bytes, admits waiting producers in order while they fit, and lets the network read on if there is room.</summary>
    private void ReleaseLocked(int bytes)
    {
        _held -= bytes;
        while (_waiting.First is { } first && FitsLocked(first.Value.Job.Bytes))
        {
            _waiting.RemoveFirst();
            first.Value.Registration.Unregister(); // Not Dispose: it would wait for a callback blocked on this lock.
            AdmitLocked(first.Value.Job);
            first.Value.Waiter.TrySetResult();
        }
        if (!HasRoomLocked())
            return;
        foreach (var room in _roomWaiters)
            room.TrySetResult();
        _roomWaiters.Clear();
    }

    private void RecordJobTime(TimeSpan took)
    {
        lock (_lock)
        {
            // An exponential moving average over about the last 16 jobs.
            _averageJobMilliseconds = _jobs == 0 ? took.TotalMilliseconds : _averageJobMilliseconds + (took.TotalMilliseconds - _averageJobMilliseconds) / 16;
            _jobs++;
        }
    }

    private bool FitsLocked(int bytes) => _held == 0 || _held + bytes <= Options.MemoryBudgetBytes;

    /// <summary>Room for one more job as large as the largest seen so far (pieces of one torrent are all one size but the last).</summary>
    private bool HasRoomLocked() => _waiting.Count == 0 && FitsLocked(_largestJob);

    private void AdmitLocked(DiskJob job)
    {
        _held += job.Bytes;
        _largestJob = Math.Max(_largestJob, job.Bytes);
        _highWater = Math.Max(_highWater, _held);
        _admitted.Writer.TryWrite(job);
    }

    private sealed class Admission
    {
        public Admission(DiskQueue owner, DiskJob job)
        {
            Owner = owner;
            Job = job;
            Node = new LinkedListNode<Admission>(this);
        }

        public DiskQueue Owner { get; }

        public DiskJob Job { get; }

        public LinkedListNode<Admission> Node { get; }

        public TaskCompletionSource Waiter { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public CancellationTokenRegistration Registration { get; set; }
    }
}
