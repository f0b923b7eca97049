using Microsoft.Extensions.Logging;
using P2PShare.Engine;
using P2PShare.Hosting;
using P2PShare.Metainfo;
using P2PShare.Storage;

namespace P2PShare.Cli.Daemon;

/// <summary>
/// The daemon's torrents: adds, starts, stops, verifies and removes them in the <see cref="TorrentHost"/>, keeps
/// torrents.json in step with every change, and runs the queue. Changes are serialised; reads take a snapshot.
/// </summary>
internal sealed partial class TorrentService(TorrentHost host, TorrentCatalog catalog, SettingsStore settings, IFileSelection files, ILoggerFactory loggers, TimeProvider time)
    : IAsyncDisposable
{
    private readonly SemaphoreSlim _changes = new(1, 1);
    private readonly ILogger _logger = loggers.CreateLogger<TorrentService>();
    private volatile DaemonTorrent[] _torrents = [];
    private readonly Queue<int> _recentlyRemoved = new();
    private int _nextId = 1;
    private volatile bool _listRead;

    public IReadOnlyList<DaemonTorrent> Torrents => _torrents;

    public TorrentHost Host => host;

    public TorrentCatalog Catalog => catalog;

    public IFileSelection Files => files;

    public SettingsStore Settings => settings;

    /// <summary>Ids removed lately (bounded), for torrent-get's "recently-active".</summary>
    public IReadOnlyList<int> RecentlyRemoved
    {
        get { lock (_recentlyRemoved) return [.. _recentlyRemoved]; }
    }

    public DaemonTorrent? Find(int id) => Array.Find(_torrents, t => t.Id == id);

    public DaemonTorrent? Find(string hash) => Array.Find(_torrents, t => string.Equals(t.HashString, hash, StringComparison.OrdinalIgnoreCase));

    /// <summary>Reads torrents.json and adds every torrent back with its id and state (the queue then starts them).</summary>
    public async Task RestoreAsync(CancellationToken cancellationToken)
    {
        var restored = new List<DaemonTorrent>();
        var entries = CatalogEntryRules.Restorable(catalog.Load(), (index, reason) =>
            _logger.LogWarning("Entry {Index} of {List} is left out (it is dropped from the list at the next save): {Reason}", index, catalog.ListPath, reason));
        // From here on the list was read: saving it again cannot lose torrents that a damaged file still held.
        _listRead = true;
        foreach (var entry in entries)
        {
            try
            {
                restored.Add(await CreateAsync(entry, cancellationToken).ConfigureAwait(false));
            }
            catch (Exception error) when (error is IOException or MetainfoException or InvalidDataException or InvalidOperationException)
            {
                _logger.LogError("Torrent {InfoHash} from {List} could not be restored: {Reason}", entry.InfoHash, catalog.ListPath, error.Message);
            }
        }
        _torrents = [.. restored];
        _nextId = restored.Count == 0 ? 1 : restored.Max(t => t.Id) + 1;
        _logger.LogInformation("Restored {Count} torrents from {List}", restored.Count, catalog.ListPath);
        await ApplyQueueAsync(cancellationToken).ConfigureAwait(false);
    }

    public async Task<AddResult> AddAsync(AddRequest request, CancellationToken cancellationToken)
    {
        MagnetLink? magnet = null;
        Torrent? metainfo = null;
        if (request.Magnet is { } link)
            magnet = MagnetLink.Parse(link);
        else if (request.Metainfo is { } bytes)
            metainfo = TorrentParser.Parse(bytes);
        else
            throw new ArgumentException("no torrent given");
        var infoHash = metainfo?.InfoHash ?? magnet!.InfoHash;
        var downloadDir = request.DownloadDir ?? settings.Current.DownloadDir;
        if (!Path.IsPathFullyQualified(downloadDir))
            throw new ArgumentException($"download-dir '{downloadDir}' is not an absolute path");

        AddResult added;
        await _changes.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (Find(infoHash.Hex) is { } existing)
                return new AddResult(existing, Duplicate: true);
            if (metainfo is not null)
                await catalog.SaveTorrentFileAsync(infoHash.Hex, request.Metainfo!.Value, cancellationToken).ConfigureAwait(false);
            var current = _torrents;
            var entry = new CatalogEntry
            {
                // Never an id used before in this process: a client holding an old id must not reach a new torrent.
                Id = _nextId++,
                InfoHash = infoHash.Hex,
                Magnet = magnet?.ToString(),
                DownloadDir = Path.GetFullPath(downloadDir),
                Stopped = request.Paused ?? !settings.Current.StartAddedTorrents,
                AddedDate = time.GetUtcNow(),
                QueuePosition = current.Length == 0 ? 0 : current.Max(t => t.Entry.QueuePosition) + 1,
            };
            var torrent = await CreateAsync(entry, cancellationToken, metainfo).ConfigureAwait(false);
            _torrents = [.. current, torrent];
            await SaveLockedAsync(cancellationToken).ConfigureAwait(false);
            _logger.LogInformation("Added {Name} ({InfoHash}) as {Id}, into {Dir}{Paused}", torrent.Name, entry.InfoHash, entry.Id, entry.DownloadDir, entry.Stopped ? ", paused" : "");
            added = new AddResult(torrent, Duplicate: false);
        }
        finally
        {
            _changes.Release();
        }
        await ApplyQueueAsync(cancellationToken).ConfigureAwait(false);
        return added;
    }

    public async Task RemoveAsync(IReadOnlyList<DaemonTorrent> torrents, bool deleteData, CancellationToken cancellationToken)
    {
        await _changes.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            foreach (var torrent in torrents)
            {
                torrent.Entry = torrent.Entry with { Stopped = true };
                await host.RemoveAsync(torrent.Managed, deleteData, torrent.Metainfo).ConfigureAwait(false);
                new ResumeStore(catalog.ResumeDirectory).Delete(InfoHash.Parse(torrent.HashString));
                catalog.DeleteTorrentFile(torrent.HashString);
                _torrents = [.. _torrents.Where(t => t != torrent)];
                lock (_recentlyRemoved)
                {
                    _recentlyRemoved.Enqueue(torrent.Id);
                    while (_recentlyRemoved.Count > 1000)
                        _recentlyRemoved.Dequeue();
                }
                _logger.LogInformation("Removed {Name} ({Id}){Data}", torrent.Name, torrent.Id, deleteData ? " with its data" : "");
            }
            await SaveLockedAsync(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _changes.Release();
        }
    }

    /// <summary>Writes torrents.json now.</summary>
    public async Task SaveAsync(CancellationToken cancellationToken)
    {
        await _changes.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await SaveLockedAsync(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _changes.Release();
        }
    }

    private Task SaveLockedAsync(CancellationToken cancellationToken) =>
        catalog.SaveAsync([.. _torrents.Select(t => t.ToSaved())], cancellationToken);

    private async Task<DaemonTorrent> CreateAsync(CatalogEntry entry, CancellationToken cancellationToken, Torrent? metainfo = null)
    {
        MagnetLink? magnet = entry.Magnet is { } link ? MagnetLink.Parse(link) : null;
        if (magnet is null)
        {
            metainfo ??= await TorrentParser.LoadAsync(catalog.TorrentFilePath(entry.InfoHash), cancellationToken).ConfigureAwait(false);
        }
        else if (File.Exists(catalog.FetchedMetadataPath(magnet.InfoHash.Hex)))
        {
            try
            {
                metainfo = await TorrentParser.LoadAsync(catalog.FetchedMetadataPath(magnet.InfoHash.Hex), cancellationToken).ConfigureAwait(false);
            }
            catch (MetainfoException)
            {
                // Fetched again by the run.
            }
        }
        var observer = new DaemonObserver(loggers.CreateLogger($"P2PShare.Daemon.Torrent{entry.Id}"));
        var managed = host.Add(RunOptions(entry, magnet), observer, paused: true, id: entry.Id);
        return new DaemonTorrent(entry, managed, metainfo, magnet, observer);
    }

    /// <summary>What the torrent's runs are given: its directory, the shared resume directory, its limits.</summary>
    private TorrentRunOptions RunOptions(CatalogEntry entry, MagnetLink? magnet) => RunOptions(entry, magnet, settings.Current, catalog);

    internal static TorrentRunOptions RunOptions(CatalogEntry entry, MagnetLink? magnet, DaemonSettings current, TorrentCatalog catalog)
    {
        return new TorrentRunOptions
        {
            TorrentPath = magnet is null ? catalog.TorrentFilePath(entry.InfoHash) : entry.Magnet!,
            Magnet = magnet,
            DataDirectory = entry.DownloadDir,
            StateDirectory = catalog.ResumeDirectory,
            Port = current.Port,
            SeedRatio = current.RatioLimit,
            SeedAfterDownload = current.RatioLimit is not 0,
            // A daemon waits for peers as long as it takes.
            GiveUpWithoutPeers = TimeSpan.MaxValue,
            Engine = new EngineOptions
            {
                MaxPeers = entry.PeerLimit > 0 ? entry.PeerLimit : current.PeerLimitPerTorrent,
                MaxDownloadRate = entry.DownloadLimited ? entry.DownloadLimit * 1024 : null,
                MaxUploadRate = entry.UploadLimited ? entry.UploadLimit * 1024 : null,
            },
        };
    }

    /// <summary>Stops every run (resume data saved, trackers told), then writes torrents.json with the final totals.</summary>
    public async ValueTask DisposeAsync()
    {
        await host.DisposeAsync().ConfigureAwait(false);
        var now = time.GetUtcNow();
        foreach (var torrent in _torrents)
            torrent.Observe(now);
        if (!_listRead)
        {
            // torrents.json could not be read (damaged): writing the empty list over it would lose every torrent it names.
            _logger.LogWarning("{List} was not read; it is left as it is", catalog.ListPath);
            return;
        }
        try
        {
            await catalog.SaveAsync([.. _torrents.Select(t => t.ToSaved())], CancellationToken.None).ConfigureAwait(false);
        }
        catch (IOException error)
        {
            _logger.LogWarning("Could not save {List}: {Reason}", catalog.ListPath, error.Message);
        }
    }
}
