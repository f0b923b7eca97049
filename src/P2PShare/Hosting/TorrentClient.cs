using System.Net;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using P2PShare.Engine;
using P2PShare.Metainfo;

namespace P2PShare.Hosting;

/// <summary>
/// The library's entry point for other .NET programs: one BitTorrent client (one port, shared limits, the DHT)
/// that downloads and seeds any number of torrents.
/// </summary>
/// <example>
/// <code>
/// await using var client = TorrentClient.Start(new EngineSettings { Port = 0 });
/// var torrent = client.AddTorrent("file.torrent", "downloads");
/// torrent.Completed += (_, done) => Console.WriteLine($"{done.Name}: {done.Downloaded} bytes in {done.Elapsed}");
/// await torrent.WhenCompleteAsync(cancellationToken);
/// </code>
/// </example>
/// <remarks>
/// Torrents keep seeding after they complete until they are removed, paused or the client is disposed (or
/// <see cref="TorrentAddOptions.SeedAfterDownload"/> is false). Disposing stops every torrent cleanly: data
/// flushed, resume data saved (so the next run resumes without a full check), trackers told.
/// </remarks>
public sealed class TorrentClient : IAsyncDisposable
{
    private readonly ClientEngine _engine;
    private readonly TorrentHost _host;
    private readonly object _gate = new();
    private readonly List<TorrentHandle> _torrents = [];

    private TorrentClient(ClientEngine engine, TorrentHost host)
    {
        _engine = engine;
        _host = host;
    }

    /// <summary>
    /// Starts the client: binds the TCP and UDP port (<see cref="EngineSettings.Port"/>, the next free one when taken,
    /// 0 for any) and starts the DHT unless <see cref="EngineSettings.Dht"/> is false.
    /// </summary>
    /// <param name="settings">Engine-wide settings (port, rate limits, encryption, DHT); null: the defaults.</param>
    /// <param name="loggers">Where the engine logs; null: nowhere.</param>
    /// <param name="time">The clock; null: the system's.</param>
    public static TorrentClient Start(EngineSettings? settings = null, ILoggerFactory? loggers = null, TimeProvider? time = null)
    {
        settings ??= new EngineSettings();
        settings.Validate();
        loggers ??= NullLoggerFactory.Instance;
        time ??= TimeProvider.System;
        var engine = ClientEngine.Start(settings, time, loggers);
        return new TorrentClient(engine, new TorrentHost(engine, loggers, time));
    }

    /// <summary>The port peers reach us on (TCP and UDP).</summary>
    public int Port => _engine.Port;

    /// <summary>The torrents added and not removed.</summary>
    public IReadOnlyList<TorrentHandle> Torrents
    {
        get { lock (_gate) return [.. _torrents]; }
    }

    /// <summary>Adds a .torrent file and starts it: existing data in <paramref name="downloadDirectory"/> is checked (or resumed), the rest downloaded.</summary>
    /// <exception cref="FileNotFoundException">The file is not there.</exception>
    public TorrentHandle AddTorrent(string torrentPath, string downloadDirectory, TorrentAddOptions? options = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(torrentPath);
        if (!File.Exists(torrentPath))
            throw new FileNotFoundException($"torrent file not found: {torrentPath}", torrentPath);
        return Add(torrentPath, magnet: null, downloadDirectory, options);
    }

    /// <summary>Adds a magnet link: its metadata is fetched from peers (the link's trackers and x.pe addresses, the DHT, given peers) first.</summary>
    /// <exception cref="MetainfoException">The link is not a valid BitTorrent magnet link.</exception>
    public TorrentHandle AddMagnet(string magnetUri, string downloadDirectory, TorrentAddOptions? options = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(magnetUri);
        return Add(magnetUri, MagnetLink.Parse(magnetUri), downloadDirectory, options);
    }

    /// <summary>Stops a torrent and forgets it; with <paramref name="deleteData"/> its files and resume data are deleted too.</summary>
    public async Task RemoveAsync(TorrentHandle torrent, bool deleteData = false)
    {
        ArgumentNullException.ThrowIfNull(torrent);
        await _host.RemoveAsync(torrent.Managed, deleteData).ConfigureAwait(false);
        lock (_gate)
            _torrents.Remove(torrent);
    }

    /// <summary>Changes the engine-wide rate limits (bytes per second, 0: none) while running.</summary>
    public void SetRateLimits(long maxUploadRate, long maxDownloadRate) =>
        _engine.ApplySettings(_engine.Settings with { MaxUploadRate = maxUploadRate, MaxDownloadRate = maxDownloadRate });

    /// <summary>Stops every torrent cleanly (resume data saved, trackers told), then closes the port.</summary>
    public async ValueTask DisposeAsync()
    {
        await _host.DisposeAsync().ConfigureAwait(false);
        await _engine.DisposeAsync().ConfigureAwait(false);
        foreach (var torrent in Torrents)
            torrent.Dispose();
    }

    private TorrentHandle Add(string text, MagnetLink? magnet, string downloadDirectory, TorrentAddOptions? options)
    {
        ArgumentException.ThrowIfNullOrEmpty(downloadDirectory);
        options ??= new TorrentAddOptions();
        var run = new TorrentRunOptions
        {
            TorrentPath = text,
            Magnet = magnet,
            DataDirectory = Path.GetFullPath(downloadDirectory),
            StateDirectory = options.StateDirectory,
            Port = _engine.Port,
            ExtraPeers = options.Peers,
            SeedAfterDownload = options.SeedAfterDownload,
            SeedRatio = options.SeedRatio,
            GiveUpWithoutPeers = options.GiveUpWithoutPeers,
            Engine = options.Engine ?? new EngineOptions(),
        };
        var handle = new TorrentHandle();
        var managed = _host.Add(run, handle.Observer, options.Paused);
        handle.Attach(managed, _host);
        lock (_gate)
            _torrents.Add(handle);
        return handle;
    }
}
