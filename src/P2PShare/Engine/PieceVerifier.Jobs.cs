using P2PShare.Engine.Disk;

namespace P2PShare.Engine;

/// <summary>
/// How pieces get into the disk queue without a chain of tasks per piece: one cached work delegate, the job admitted
/// synchronously when the queue has room (the usual case), and one tracked task per busy period (from the first job
/// in flight to the last one done) instead of one per piece, so the session still waits for pieces in flight when it
/// stops. A job that must wait for room is tracked through its own task, as before.
/// </summary>
internal sealed partial class PieceVerifier
{
    private readonly Lock _jobsLock = new();
    private Func<object?, CancellationToken, ValueTask>? _work;
    private Action<object?>? _jobFinished;
    private int _jobsInFlight;
    private TaskCompletionSource? _jobsDone;

    /// <summary>Pieces handed to the disk queue and not yet done (for tests and diagnostics).</summary>
    public int JobsInFlight
    {
        get
        {
            lock (_jobsLock)
                return _jobsInFlight;
        }
    }

    private void Queue(PieceDownload piece)
    {
        _work ??= (state, token) => VerifyAndStoreAsync((PieceDownload)state!, token);
        _jobFinished ??= _ => EndJob();
        BeginJob();
        var job = new DiskJob(piece.Size, _work, piece, _lifetime, _jobFinished);
        ValueTask admitted;
        try
        {
            admitted = _queue.EnqueueAsync(job, _lifetime);
        }
        catch (ObjectDisposedException)
        {
            NotAdmitted(piece);
            return;
        }
        if (!admitted.IsCompletedSuccessfully)
            _track(AwaitAdmissionAsync(admitted, piece));
    }

    private async Task AwaitAdmissionAsync(ValueTask admitted, PieceDownload piece)
    {
        try
        {
            await admitted.ConfigureAwait(false);
        }
        catch (Exception error) when (error is OperationCanceledException or ObjectDisposedException)
        {
            NotAdmitted(piece);
        }
    }

    /// <summary>Stopped before the piece got into the queue: it never runs, so its buffer is released here.</summary>
    private void NotAdmitted(PieceDownload piece)
    {
        piece.Release();
        EndJob();
    }

    private void BeginJob()
    {
        TaskCompletionSource? started = null;
        lock (_jobsLock)
        {
            if (_jobsInFlight++ == 0)
                started = _jobsDone = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        }
        if (started is not null)
            _track(started.Task);
    }

    private void EndJob()
    {
        TaskCompletionSource? done = null;
        lock (_jobsLock)
        {
            if (--_jobsInFlight == 0)
            {
                done = _jobsDone;
                _jobsDone = null;
            }
        }
        done?.TrySetResult();
    }
}
