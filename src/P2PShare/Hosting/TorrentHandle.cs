using P2PShare.Engine;
using P2PShare.Metainfo;

namespace P2PShare.Hosting;

/// <summary>
/// One torrent of a <see cref="TorrentClient"/>: its state and progress, and events for progress (about once a
/// second), messages and completion. Events are raised on the engine's threads: handlers must be quick and must not
/// block (hand work to a queue or a task).
/// </summary>
public sealed class TorrentHandle : IDisposable
{
    private readonly TaskCompletionSource<DownloadCompletion?> _complete = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private ManagedTorrent? _managed;
    private TorrentHost? _host;
    private volatile TorrentProgress? _progress;

    internal TorrentHandle()
    {
        Observer = new HandleObserver(this);
    }

    /// <summary>The torrent's name (a magnet's display name until its metadata is known).</summary>
    public string Name => Managed.Name;

    /// <summary>Known from the start for a magnet link, once the file is read for a .torrent.</summary>
    public InfoHash? InfoHash => Managed.Runner?.InfoHash;

    /// <summary>The loaded torrent (files, pieces, trackers); null before its metadata is known.</summary>
    public Torrent? Torrent => Managed.Runner?.Torrent;

    public TorrentState State => Managed.State;

    /// <summary>Why the torrent is in <see cref="TorrentState.Error"/>.</summary>
    public string? Error => Managed.Error;

    /// <summary>The latest progress of the data phase (pieces, bytes, rates, peers); null before it.</summary>
    public TorrentProgress? Progress => Managed.Runner?.Progress() ?? _progress;

    /// <summary>The connected peers and web seeds.</summary>
    public IReadOnlyList<PeerInfo> Peers => Managed.Runner?.PeerList() ?? [];

    /// <summary>About once a second while the data phase runs.</summary>
    public event EventHandler<TorrentProgress>? ProgressChanged;

    /// <summary>The data became complete and verified (once; not raised for data complete when added).</summary>
    public event EventHandler<DownloadCompletion>? Completed;

    /// <summary>Human-readable news of the run (check results, warnings, completion).</summary>
    public event EventHandler<string>? Message;

    internal IRunObserver Observer { get; }

    internal ManagedTorrent Managed => _managed ?? throw new InvalidOperationException("the torrent is not added yet");

    /// <summary>
    /// Completes when the data is complete and verified (at once if it already is). Faults when the run ends in
    /// error, or ends (paused, removed, client disposed) before the data is complete.
    /// </summary>
    public async Task WhenCompleteAsync(CancellationToken cancellationToken = default)
    {
        var run = Managed.Run ?? Task.CompletedTask;
        var ended = await Task.WhenAny(_complete.Task, run).WaitAsync(cancellationToken).ConfigureAwait(false);
        if (ended == _complete.Task)
        {
            await _complete.Task.ConfigureAwait(false);
            return;
        }
        await run.ConfigureAwait(false);
        if (!(Managed.Runner?.Progress() ?? _progress)?.IsComplete ?? true)
            throw new InvalidOperationException($"{Name}: the run ended ({State}) before the data was complete");
    }

    /// <summary>Stops the torrent (resume data saved, trackers told); <see cref="Resume"/> starts it again.</summary>
    public Task PauseAsync() => _host!.PauseAsync(Managed);

    /// <summary>Starts a paused or finished torrent again.</summary>
    public void Resume() => _host!.Resume(Managed);

    /// <summary>Ends waits on <see cref="WhenCompleteAsync"/> (as cancelled); called when the client is disposed.</summary>
    public void Dispose() => _complete.TrySetCanceled();

    internal void Attach(ManagedTorrent managed, TorrentHost host)
    {
        _managed = managed;
        _host = host;
    }

    private sealed class HandleObserver(TorrentHandle owner) : IRunObserver
    {
        public void Message(string text) => owner.Message?.Invoke(owner, text);

        public void Checking(string reason, double fraction)
        {
        }

        public void Progress(RunPhase phase, TorrentProgress progress, int listenPort)
        {
            owner._progress = progress;
            if (progress.IsComplete)
                owner._complete.TrySetResult(null);
            owner.ProgressChanged?.Invoke(owner, progress);
        }

        public void Peers(IReadOnlyList<PeerInfo> peers)
        {
        }

        public void DownloadCompleted(DownloadCompletion completion)
        {
            owner._complete.TrySetResult(completion);
            owner.Completed?.Invoke(owner, completion);
        }
    }
}
