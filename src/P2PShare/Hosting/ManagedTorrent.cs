namespace P2PShare.Hosting;

/// <summary>
/// One torrent of a <see cref="TorrentHost"/>: its options and its current run. Pausing ends the run (resume data
/// saved, trackers told); resuming starts a new run that trusts that resume data.
/// </summary>
internal sealed class ManagedTorrent
{
    internal ManagedTorrent(int id, TorrentRunOptions options, IRunObserver observer)
    {
        Id = id;
        Options = options;
        Observer = observer;
    }

    public int Id { get; }

    public TorrentRunOptions Options { get; internal set; }

    internal IRunObserver Observer { get; }

    /// <summary>The current (or last) run; a new one on each resume.</summary>
    public TorrentRunner? Runner { get; internal set; }

    /// <summary>The current run (it throws what ended it in error).</summary>
    public Task? Run { get; internal set; }

    internal CancellationTokenSource? Stop { get; set; }

    internal bool PausedByUser { get; set; }

    /// <summary>A selection made through <see cref="SetFilePrioritiesAsync"/>; later runs (resume) start with it.</summary>
    internal IReadOnlyList<Engine.Picking.FilePriority>? FilePriorities { get; private set; }

    /// <summary>
    /// Sets one priority per torrent file (skip, low, normal, high) now and for later runs: the RPC's files-wanted /
    /// priority-* calls. Thread-safe. While running, newly wanted files get at once what is already downloaded (moved
    /// from the part file) and the rest is fetched; skipped files stop being fetched. Throws ArgumentException when the
    /// count does not match the torrent's files (known once a magnet's metadata arrived).
    /// </summary>
    public async Task SetFilePrioritiesAsync(IReadOnlyList<Engine.Picking.FilePriority> priorities, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(priorities);
        if (Runner?.Torrent is { } torrent)
            Engine.Picking.FilePriorities.Validate(priorities, torrent.Files.Count);
        FilePriorities = [.. priorities];
        if (Runner is { } runner && Run is { IsCompleted: false })
            await runner.SetFilePrioritiesAsync(priorities, cancellationToken).ConfigureAwait(false);
    }

    public string Name => Runner?.Torrent?.Name ?? Options.Magnet?.DisplayName ?? Path.GetFileNameWithoutExtension(Options.TorrentPath);

    public TorrentState State => PausedByUser && Run is { IsCompleted: true } ? TorrentState.Paused : Runner?.State ?? TorrentState.Queued;

    /// <summary>Why the torrent is in <see cref="TorrentState.Error"/>.</summary>
    public string? Error => Runner?.Error;

    /// <summary>
    /// Why the torrent is slow or stuck (or that it is fine): findings with their evidence, most severe first. Null while
    /// queued, paused or checking. For the CLI's --why, the RPC and the web UI.
    /// </summary>
    public Engine.Diagnosis.TorrentDiagnosis? Diagnose() => Run is { IsCompleted: false } ? Runner?.Diagnose() : null;

    /// <summary>Completes when the current run ends (normally or with an error, never throwing).</summary>
    public Task Completion => Run is null ? Task.CompletedTask : Run.ContinueWith(_ => { }, TaskScheduler.Default);
}
