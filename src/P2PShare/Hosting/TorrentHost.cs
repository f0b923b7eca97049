using Microsoft.Extensions.Logging;
using P2PShare.Engine;
using P2PShare.Storage;

namespace P2PShare.Hosting;

/// <summary>
/// Any number of torrents in one engine (one port, shared limits and tracker transport), each added, paused, resumed
/// and removed while the others run. A torrent's failure is its own: it ends in <see cref="TorrentState.Error"/> and
/// the rest go on.
/// </summary>
internal sealed partial class TorrentHost(ClientEngine engine, ILoggerFactory loggers, TimeProvider time) : IAsyncDisposable
{
    // One budget of open data files for all torrents (a thousand seeded torrents must not hold a thousand handles each).
    private readonly FileHandleCache _files = new(engine.Settings.MaxOpenFiles);
    private readonly object _gate = new();
    private readonly List<ManagedTorrent> _torrents = [];
    private readonly ILogger _logger = loggers.CreateLogger<TorrentHost>();
    private int _nextId = 1;

    public ClientEngine Engine => engine;

    public IReadOnlyList<ManagedTorrent> Torrents
    {
        get { lock (_gate) return [.. _torrents]; }
    }

    /// <summary>Adds a torrent and starts it (unless <paramref name="paused"/>).</summary>
    /// <param name="id">The id to give it (a daemon keeps its ids across restarts); null: the next free one.</param>
    public ManagedTorrent Add(TorrentRunOptions options, IRunObserver observer, bool paused = false, int? id = null)
    {
        ManagedTorrent torrent;
        lock (_gate)
        {
            if (options.Magnet is { } magnet && _torrents.Any(t => t.Runner?.InfoHash is { } h && h.Equals(magnet.InfoHash)))
                throw new InvalidOperationException($"torrent {magnet.InfoHash} is already added");
            if (id is { } wanted && _torrents.Any(t => t.Id == wanted))
                throw new InvalidOperationException($"torrent id {wanted} is taken");
            torrent = new ManagedTorrent(id ?? _nextId, options, observer) { PausedByUser = paused };
            _nextId = Math.Max(_nextId, torrent.Id + 1);
            _torrents.Add(torrent);
        }
        if (!paused)
            Start(torrent);
        return torrent;
    }

    public ManagedTorrent? Find(int id)
    {
        lock (_gate)
            return _torrents.Find(t => t.Id == id);
    }

    /// <summary>Stops the torrent's run (resume data saved, trackers told 'stopped'); it stays in the list as paused.</summary>
    public async Task PauseAsync(ManagedTorrent torrent)
    {
        torrent.PausedByUser = true;
        if (torrent.Stop is { } stop)
            await stop.CancelAsync().ConfigureAwait(false);
        await torrent.Completion.ConfigureAwait(false);
    }

    /// <summary>Starts a paused or finished torrent again (a new run, which trusts the resume data saved when it stopped).</summary>
    public void Resume(ManagedTorrent torrent)
    {
        if (torrent.Run is { IsCompleted: false })
            return;
        torrent.PausedByUser = false;
        Start(torrent);
    }

    /// <summary>Stops and forgets the torrent; with <paramref name="deleteData"/> its files and resume data go too.</summary>
    /// <param name="metainfo">The torrent's metainfo when its run never loaded it (a torrent added paused); null: the run's.</param>
    public async Task RemoveAsync(ManagedTorrent torrent, bool deleteData, Metainfo.Torrent? metainfo = null)
    {
        await PauseAsync(torrent).ConfigureAwait(false);
        lock (_gate)
            _torrents.Remove(torrent);
        metainfo = torrent.Runner?.Torrent ?? metainfo;
        if (!deleteData || metainfo is null)
            return;
        var store = torrent.Options.StateDirectory is null ? ResumeStore.ForDownloadDirectory(torrent.Options.DataDirectory) : new ResumeStore(torrent.Options.StateDirectory);
        store.Delete(metainfo.InfoHash);
        // Only the torrent's own files (ContentPaths keeps them inside the download directory), then empty folders.
        var paths = ContentPaths.For(metainfo, torrent.Options.DataDirectory);
        for (var i = 0; i < metainfo.Files.Count; i++)
            if (paths[i] is { } file && File.Exists(file))
                File.Delete(file);
        if (metainfo.IsMultiFile && Directory.Exists(paths.Root))
        {
            foreach (var folder in Directory.GetDirectories(paths.Root, "*", SearchOption.AllDirectories).OrderByDescending(d => d.Length))
                if (!Directory.EnumerateFileSystemEntries(folder).Any())
                    Directory.Delete(folder);
            if (!Directory.EnumerateFileSystemEntries(paths.Root).Any())
                Directory.Delete(paths.Root);
        }
        _logger.LogInformation("Removed {Name} with its data", metainfo.Name);
    }

    /// <summary>Completes when every torrent's current run has ended.</summary>
    public Task WhenAllEndedAsync() => Task.WhenAll(Torrents.Select(t => t.Completion));

    private void Start(ManagedTorrent torrent)
    {
        var stop = new CancellationTokenSource();
        var options = torrent.FilePriorities is { } selected ? torrent.Options with { FilePriorities = selected } : torrent.Options;
        var runner = new TorrentRunner(options, torrent.Observer, loggers, time, engine, _files);
        torrent.Stop = stop;
        torrent.Runner = runner;
        torrent.Run = RunAsync(torrent, runner, stop);
    }

    private async Task RunAsync(ManagedTorrent torrent, TorrentRunner runner, CancellationTokenSource stop)
    {
        // Off the caller's thread: a run does synchronous work (file checks) before its first await.
        await Task.Yield();
        try
        {
            await runner.RunAsync(stop.Token).ConfigureAwait(false);
        }
        catch (Exception error)
        {
            _logger.LogError("Torrent {Name} stopped with an error: {Reason}", torrent.Name, error.Message);
            torrent.Observer.Message($"{torrent.Name}: {error.Message}");
            throw;
        }
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var torrent in Torrents)
            if (torrent.Stop is { } stop)
                await stop.CancelAsync().ConfigureAwait(false);
        await Task.WhenAll(Torrents.Select(t => t.Completion)).WaitAsync(TimeSpan.FromSeconds(30)).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        _files.Dispose();
    }
}
