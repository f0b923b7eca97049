namespace P2PShare.Hosting;

/// <summary>
/// One torrent of a <see cref="TorrentHost"/>: its options and its current run. Pausing ends the run (resume data
/// saved, trackers told); resuming starts a new run that trusts that resume data.
/// </summary>
public sealed class ManagedTorrent
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

    public string Name => Runner?.Torrent?.Name ?? Options.Magnet?.DisplayName ?? Path.GetFileNameWithoutExtension(Options.TorrentPath);

    public TorrentState State => PausedByUser && Run is { IsCompleted: true } ? TorrentState.Paused : Runner?.State ?? TorrentState.Queued;

    /// <summary>Why the torrent is in <see cref="TorrentState.Error"/>.</summary>
    public string? Error => Runner?.Error;

    /// <summary>Completes when the current run ends (normally or with an error, never throwing).</summary>
    public Task Completion => Run is null ? Task.CompletedTask : Run.ContinueWith(_ => { }, TaskScheduler.Default);
}
