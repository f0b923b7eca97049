namespace P2PShare.Engine.Disk;

/// <summary>
/// One unit of disk work (hash and write a piece) holding <see cref="Bytes"/> of memory from the moment the
/// queue admits it until it has run. Every admitted job runs exactly once, so it can always release what it
/// holds; when its torrent stops or the queue is disposed it runs with a cancelled token.
/// </summary>
internal sealed class DiskJob
{
    private readonly Func<CancellationToken, ValueTask>? _work;
    private readonly Func<object?, CancellationToken, ValueTask>? _stateWork;
    private readonly object? _state;
    private readonly Action<object?>? _finished;
    private readonly TaskCompletionSource _completion = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private Exception? _pending;

    /// <param name="bytes">Memory the job holds (a piece's size).</param>
    /// <param name="work">The work; its exception faults <see cref="Completion"/>.</param>
    /// <param name="cancellationToken">The owner's lifetime (the torrent's).</param>
    public DiskJob(int bytes, Func<CancellationToken, ValueTask> work, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(bytes);
        ArgumentNullException.ThrowIfNull(work);
        Bytes = bytes;
        _work = work;
        CancellationToken = cancellationToken;
    }

    /// <summary>A job whose work takes a state object: one cached delegate serves every job (no closure per piece).</summary>
    /// <param name="finished">Called with <paramref name="state"/> once the job has run and its bytes are released (like <see cref="Completion"/>, without a continuation).</param>
    public DiskJob(int bytes, Func<object?, CancellationToken, ValueTask> work, object? state, CancellationToken cancellationToken = default,
        Action<object?>? finished = null)
    {
        _finished = finished;
        ArgumentOutOfRangeException.ThrowIfNegative(bytes);
        ArgumentNullException.ThrowIfNull(work);
        Bytes = bytes;
        _stateWork = work;
        _state = state;
        CancellationToken = cancellationToken;
    }

    public int Bytes { get; }

    public CancellationToken CancellationToken { get; }

    /// <summary>Completes when the work has run (and its bytes are released); faults with the work's exception.</summary>
    public Task Completion => _completion.Task;

    internal async Task RunAsync(CancellationToken stopping)
    {
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(CancellationToken, stopping);
        try
        {
            await (_work is not null ? _work(linked.Token) : _stateWork!(_state, linked.Token)).ConfigureAwait(false);
            _pending = null;
        }
        catch (OperationCanceledException) when (linked.IsCancellationRequested)
        {
            _pending = new OperationCanceledException(linked.Token);
        }
        catch (Exception error)
        {
            _pending = error;
        }
    }

    /// <summary>Called by the queue after the job's bytes are released.</summary>
    internal void Complete()
    {
        switch (_pending)
        {
            case null:
                _completion.TrySetResult();
                break;
            case OperationCanceledException cancelled:
                _completion.TrySetCanceled(cancelled.CancellationToken);
                break;
            default:
                _completion.TrySetException(_pending);
                break;
        }
        _finished?.Invoke(_state);
    }
}
