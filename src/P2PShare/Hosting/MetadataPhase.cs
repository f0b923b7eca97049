using System.Net;
using Microsoft.Extensions.Logging;
using P2PShare.Engine;
using P2PShare.Metainfo;
using P2PShare.Networking.Peers;
using P2PShare.Networking.Trackers;
using P2PShare.Protocol.Wire;
using P2PShare.Storage;

namespace P2PShare.Hosting;

/// <summary>
/// Turns a magnet link into a torrent: the .torrent saved in the state directory by an earlier run, or else the
/// metadata fetched from peers (the link's trackers, its x.pe addresses and --peer, and peers that dial us),
/// checked against the info-hash and saved there as &lt;info-hash&gt;.torrent so a restart skips this phase.
/// </summary>
internal sealed partial class MetadataPhase(TorrentRunOptions options, IRunObserver observer, ILoggerFactory loggers, TimeProvider time)
{
    /// <summary>The 'left' we announce before the size is known (as libtorrent does): non-zero, so trackers count us as a leecher.</summary>
    private const long UnknownLeft = 16 * 1024;

    private readonly ILogger _logger = loggers.CreateLogger<MetadataPhase>();

    public static string SavedTorrentPath(string stateDirectory, InfoHash infoHash) => Path.Combine(stateDirectory, infoHash.Hex + ".torrent");

    /// <summary>The saved torrent, or null when there is none (or it is unreadable: then it is fetched again).</summary>
    public async Task<Torrent?> LoadSavedAsync(MagnetLink magnet, string stateDirectory, CancellationToken cancellationToken)
    {
        var path = SavedTorrentPath(stateDirectory, magnet.InfoHash);
        if (!File.Exists(path))
            return null;
        try
        {
            var torrent = await TorrentParser.LoadAsync(path, cancellationToken).ConfigureAwait(false);
            if (torrent.InfoHash.Equals(magnet.InfoHash))
            {
                observer.Message($"Using the metadata fetched earlier ({path})");
                _logger.LogInformation("Magnet {InfoHash}: metadata fetched earlier, read from {Path}", magnet.InfoHash, path);
                return torrent.WithSources(magnet.Trackers, magnet.WebSeeds);
            }
            _logger.LogWarning("{Path} is another torrent ({InfoHash}); fetching the metadata again", path, torrent.InfoHash);
        }
        catch (MetainfoException error)
        {
            _logger.LogWarning("Saved metadata {Path} is unreadable ({Reason}); fetching it again", path, error.Message);
        }
        return null;
    }

    /// <summary>The fetched torrent, the addresses learnt on the way, and the connections that go on into the data phase.</summary>
    public sealed record Fetched(Torrent Torrent, IReadOnlyList<IPEndPoint> Peers, IReadOnlyList<AdoptedPeer> Connections);

    /// <summary>Fetches, checks and saves the metadata.</summary>
    public async Task<Fetched> FetchAsync(
        MagnetLink magnet, IReadOnlyList<IPEndPoint> peers, ClientEngine engine, Random random, string stateDirectory, CancellationToken cancellationToken)
    {
        var listener = engine;
        _dht = engine.Dht;
        var peerId = engine.PeerId;
        var label = magnet.DisplayName is { Length: > 0 } name ? $"{name} ({magnet.InfoHash})" : magnet.InfoHash.ToString();
        observer.Message($"Fetching metadata for {label} from peers, listening on port {listener.Port}");
        _logger.LogInformation("Magnet {InfoHash}: fetching metadata from peers ({Trackers} trackers, {Peers} given peers), listening on port {Port}",
            magnet.InfoHash, magnet.Trackers.Count, peers.Count, listener.Port);
        var engineOptions = options.Engine with { AdvertisedPort = listener.Port };
        await using var fetcher = new MetadataFetcher(magnet, peerId, engineOptions, time, loggers.CreateLogger<MetadataFetcher>(), engine.Resources);
        fetcher.AddPeers(peers);
        _fetcher = fetcher;
        await using var trackers = new TrackerManager(magnet.Trackers.Select(url => (IReadOnlyList<string>)[url]).ToList(), options.Trackers,
            loggers.CreateLogger<TrackerManager>(), time, random, engine.TrackerHttp, engine.TrackerUdp);
        _trackers = trackers;
        engine.Register(magnet.InfoHash, fetcher);
        var v2Alias = magnet.InfoHashV2?.Truncated is { } truncated && !truncated.Equals(magnet.InfoHash) ? truncated : null;
        if (v2Alias is not null)
            engine.Register(v2Alias, fetcher);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var fetch = fetcher.RunAsync(stop.Token);
        var tasks = new List<Task>
        {
            fetch,
            AnnounceAsync(trackers, fetcher, peerId, listener.Port, stop.Token),
        };
        if (engine.Dht is { } dht)
            tasks.Add((_dhtFinder = new DhtPeerFinder(dht, magnet.InfoHash, listener.Port, time, _logger)).RunAsync(
                found => fetcher.AddPeers(found, PeerSource.Dht), () => fetcher.Progress().PeersWithMetadata == 0, stop.Token));
        using var localDiscovery = engine.AnnounceLocally(magnet.InfoHash, peer => fetcher.AddPeers([peer], PeerSource.Lsd));
        try
        {
            await SuperviseAsync(fetch, fetcher, trackers, stop.Token).ConfigureAwait(false);
        }
        finally
        {
            _fetcher = null;
            engine.Unregister(magnet.InfoHash, fetcher);
            if (v2Alias is not null)
                engine.Unregister(v2Alias, fetcher);
            await stop.CancelAsync().ConfigureAwait(false);
            await Task.WhenAll(tasks).WaitAsync(TimeSpan.FromSeconds(10), CancellationToken.None).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }
        var torrent = TorrentParser.FromMetadata(await fetch.ConfigureAwait(false), magnet);
        var connections = await fetcher.TakeConnectionsAsync().ConfigureAwait(false);
        try
        {
            var path = await SaveAsync(torrent, stateDirectory, cancellationToken).ConfigureAwait(false);
            observer.Message($"Metadata received: {torrent.Name}, {torrent.TotalLength} bytes in {torrent.PieceCount} pieces (saved to {path})");
            _logger.LogInformation("Magnet {InfoHash}: metadata received and saved to {Path}; {Connections} connections go on into the data phase",
                magnet.InfoHash, path, connections.Count);
        }
        catch
        {
            foreach (var peer in connections)
                await peer.Connection.DisposeAsync().ConfigureAwait(false);
            throw;
        }
        return new Fetched(torrent, fetcher.PeersForDataPhase(), connections);
    }

    private async Task SuperviseAsync(Task<byte[]> fetch, MetadataFetcher fetcher, TrackerManager trackers, CancellationToken cancellationToken)
    {
        var lastPeerAt = time.GetUtcNow();
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(1), time);
        while (!fetch.IsCompleted)
        {
            var tick = timer.WaitForNextTickAsync(cancellationToken).AsTask();
            await Task.WhenAny(tick, fetch).ConfigureAwait(false);
            if (fetch.IsCompleted)
                break;
            await tick.ConfigureAwait(false);
            var progress = fetcher.Progress();
            observer.FetchingMetadata(progress);
            _history.ObserveMetadata(progress);
            if (progress.PeersWithMetadata > 0)
                lastPeerAt = time.GetUtcNow();
            else if (time.GetUtcNow() - lastPeerAt > options.GiveUpWithoutPeers)
                throw new TimeoutException($"no peer gave the metadata for {options.GiveUpWithoutPeers.TotalSeconds:0} s ({progress.Peers} connected; trackers: {TorrentRunner.DescribeTrackers(trackers)}){DiagnosisSuffix()}");
        }
        await fetch.ConfigureAwait(false);
    }

    private static async Task<string> SaveAsync(Torrent torrent, string stateDirectory, CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(stateDirectory);
        var path = SavedTorrentPath(stateDirectory, torrent.InfoHash);
        await AtomicFile.WriteAsync(path, TorrentFileWriter.Encode(torrent), cancellationToken).ConfigureAwait(false);
        return path;
    }

    private async Task AnnounceAsync(TrackerManager trackers, MetadataFetcher fetcher, PeerId peerId, int port, CancellationToken cancellationToken)
    {
        try
        {
            await trackers.RunAsync(
                announceEvent => new AnnounceRequest(fetcher.InfoHash, peerId.Memory, port, 0, 0, UnknownLeft, announceEvent),
                peers => fetcher.AddPeers(peers, PeerSource.Tracker),
                cancellationToken,
                () => fetcher.Progress().PeersWithMetadata == 0).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
        catch (Exception error)
        {
            _logger.LogWarning("Announcing stopped: {Reason}", error.Message);
        }
    }
}
