using System.Net;
using Microsoft.Extensions.Logging;
using P2PShare.Engine;
using P2PShare.Metainfo;
using P2PShare.Networking.Peers;
using P2PShare.Networking.Trackers;
using P2PShare.Protocol;
using P2PShare.Protocol.Wire;
using P2PShare.Storage;

namespace P2PShare.Hosting;

/// <summary>
/// Runs one torrent from start to stop: decides what existing data to trust (resume data, or a check),
/// downloads, saves resume data atomically while it goes, then seeds until the limits or cancellation,
/// and always leaves the data flushed, the resume data saved and the trackers told we stopped.
/// </summary>
internal sealed partial class TorrentRunner
{
    private readonly TorrentRunOptions options;
    private readonly IRunObserver observer;
    private readonly ILoggerFactory loggers;
    private readonly TimeProvider time;
    private readonly ClientEngine? _sharedEngine;
    private readonly FileHandleCache? _files;
    private readonly ILogger _logger;
    private volatile TorrentSession? _session;
    private volatile Torrent? _torrent;
    private DateTimeOffset _startedAt;
    private readonly StartupTimer _startup = new();

    /// <summary>A run with an engine of its own (one torrent per process), listening on the options' port.</summary>
    public TorrentRunner(TorrentRunOptions options, IRunObserver observer, ILoggerFactory loggers, TimeProvider time)
        : this(options, observer, loggers, time, engine: null)
    {
    }

    /// <summary>A run inside <paramref name="engine"/>, sharing its port, limits and tracker transport with other torrents.</summary>
    /// <param name="files">The host's file-handle budget shared by all its torrents; null: one of this run's own.</param>
    public TorrentRunner(TorrentRunOptions options, IRunObserver observer, ILoggerFactory loggers, TimeProvider time, ClientEngine? engine, FileHandleCache? files = null)
    {
        _files = files;
        this.options = options;
        this.observer = observer;
        this.loggers = loggers;
        this.time = time;
        _sharedEngine = engine;
        _logger = loggers.CreateLogger<TorrentRunner>();
        InfoHash = options.Magnet?.InfoHash;
    }

    public TorrentState State { get; private set; } = TorrentState.Queued;

    /// <summary>Why the run ended in <see cref="TorrentState.Error"/>.</summary>
    public string? Error { get; private set; }

    /// <summary>Known from the start for a magnet, after loading for a .torrent.</summary>
    public InfoHash? InfoHash { get; private set; }

    public Torrent? Torrent => _torrent;

    public TorrentRunOptions Options => options;

    /// <summary>Progress of the data phase; null before it.</summary>
    public TorrentProgress? Progress() => _session?.Progress();

    public IReadOnlyList<PeerInfo> PeerList() => _session?.PeerList() ?? [];

    public TorrentSession? Session => _session;

    /// <summary>Runs until done; returns normally on completion (--no-seed), seeding limits or cancellation.</summary>
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        try
        {
            await RunCoreAsync(cancellationToken).ConfigureAwait(false);
            State = cancellationToken.IsCancellationRequested ? TorrentState.Paused : TorrentState.Stopped;
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            State = TorrentState.Paused;
        }
        catch (Exception error)
        {
            State = TorrentState.Error;
            Error = error.Message;
            throw;
        }
    }

    private async Task RunCoreAsync(CancellationToken cancellationToken)
    {
        _startedAt = time.GetUtcNow();
        Directory.CreateDirectory(options.DataDirectory);
        var resumeStore = options.StateDirectory is null ? ResumeStore.ForDownloadDirectory(options.DataDirectory) : new ResumeStore(options.StateDirectory);
        var random = new Random();
        var ownEngine = _sharedEngine is null
            ? ClientEngine.Start(new EngineSettings { ListenAddress = options.ListenAddress, Port = options.Port }, time, loggers, random)
            : null;
        var engine = _sharedEngine ?? ownEngine!;
        _startup.Mark("engine");
        try
        {
            var extraPeers = options.ExtraPeers;
            if (options.ExtraPeerTexts.Count > 0)
                extraPeers = [.. extraPeers, .. await PeerAddresses.ResolveAsync(options.ExtraPeerTexts, _logger, cancellationToken).ConfigureAwait(false)];
            Torrent torrent;
            IReadOnlyList<AdoptedPeer> adopted = [];
            if (options.Magnet is { } magnet)
            {
                extraPeers = [.. extraPeers, .. await PeerAddresses.ResolveAsync(magnet.PeerAddresses, _logger, cancellationToken).ConfigureAwait(false)];
                var phase = new MetadataPhase(options, observer, loggers, time);
                _metadataPhase = phase;
                var saved = await phase.LoadSavedAsync(magnet, resumeStore.StateDirectory, cancellationToken).ConfigureAwait(false);
                if (saved is not null)
                {
                    torrent = saved;
                }
                else
                {
                    State = TorrentState.FetchingMetadata;
                    var fetched = await phase.FetchAsync(magnet, extraPeers, engine, random, resumeStore.StateDirectory, cancellationToken).ConfigureAwait(false);
                    torrent = fetched.Torrent;
                    extraPeers = [.. extraPeers, .. fetched.Peers];
                    adopted = fetched.Connections;
                }
            }
            else
            {
                torrent = await TorrentParser.LoadAsync(options.TorrentPath, cancellationToken).ConfigureAwait(false);
                foreach (var warning in torrent.Warnings)
                {
                    observer.Message($"warning: {options.TorrentPath}: {warning}");
                    _logger.LogWarning("{Path}: {Warning}", options.TorrentPath, warning);
                }
            }
            _torrent = torrent;
            InfoHash = torrent.InfoHash;
            _startup.Mark(options.Magnet is null ? "metainfo" : "metadata");
            if (options.MetadataOnly)
            {
                // --list-files: the metadata is saved in the state directory; the data phase is for a later run.
                foreach (var peer in adopted)
                    await peer.Connection.DisposeAsync().ConfigureAwait(false);
                return;
            }
            await RunTorrentAsync(torrent, resumeStore, engine, random, extraPeers, adopted, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            if (ownEngine is not null)
                await ownEngine.DisposeAsync().ConfigureAwait(false);
        }
    }

    private async Task RunTorrentAsync(Torrent torrent, ResumeStore resumeStore, ClientEngine engine, Random random, IReadOnlyList<IPEndPoint> extraPeers,
        IReadOnlyList<AdoptedPeer> adopted, CancellationToken cancellationToken)
    {
        State = TorrentState.Checking;
        Bitfield have;
        IReadOnlyList<IPEndPoint> knownPeers;
        long[] previous;
        try
        {
            (have, knownPeers, previous) = await StartupCheckAsync(torrent, resumeStore, cancellationToken).ConfigureAwait(false);
            _startup.Mark("piece check");
        }
        catch
        {
            foreach (var peer in adopted)
                await peer.Connection.DisposeAsync().ConfigureAwait(false);
            throw;
        }
        if (options.SeedOnly && !have.IsComplete && !options.AllowPartial)
            throw new InvalidDataException($"{torrent.PieceCount - have.CountSet} of {torrent.PieceCount} pieces are missing or damaged in {options.DataDirectory}; use --partial to seed what is there");

        await using var storage = new TorrentStorage(torrent, options.DataDirectory, sharedHandles: _files);
        var priorities = await ApplyStartSelectionAsync(torrent, storage, resumeStore, have, cancellationToken).ConfigureAwait(false);
        // Pieces the last run saved without an fsync, or found by hashing: the first save that fsyncs covers their files.
        var notDurable = _startupNotDurable ?? new Bitfield(torrent.PieceCount);
        storage.MarkUnflushed(notDurable);
        var durable = have.Except(notDurable);
        _startup.Mark("storage and selection");
        // Room for resume data while the disk still has some: on a full disk the saves use it (ResumeStore.Reserve).
        if (!options.SeedOnly)
            resumeStore.TryReserve(torrent.InfoHash, 2L * (torrent.PieceCount / 8 + 512L * torrent.Files.Count + 4096));
        if (!options.SeedOnly)
            storage.CreateEmptyFiles();
        _startup.Mark("resume reserve and empty files");
        var port = engine.Port;
        var peerId = engine.PeerId;
        await using var session = new TorrentSession(torrent, storage, have, peerId, options.Engine with { AdvertisedPort = port }, time, random,
            loggers.CreateLogger<TorrentSession>(), engine.Resources);
        if (priorities is not null)
            session.SetFilePriorities(priorities);
        if (options.Sequential)
            session.SetSequential(true);
        _session = session;
        State = session.WantedCompleted.IsCompleted ? TorrentState.Seeding : TorrentState.Downloading;
        session.Adopt(adopted);
        engine.Register(torrent.InfoHash, session);
        // BEP 52: a hybrid is also reached by its truncated v2 info-hash (a peer that prefers v2 may dial with it).
        var v2Alias = torrent.Version == TorrentVersion.Hybrid ? torrent.V2!.InfoHash.Truncated : null;
        if (v2Alias is not null)
            engine.Register(v2Alias, session);
        session.AddPeers(extraPeers);
        session.AddPeers(knownPeers, PeerSource.Resume);
        _startup.Mark("session");
        _startup.Log(_logger, torrent.Name, torrent.Files.Count);
        observer.Message($"{torrent.Name}: {have.CountSet}/{torrent.PieceCount} pieces, listening on port {port}");
        _logger.LogInformation("Torrent {Name} ({InfoHash}): {Have}/{Pieces} pieces, listening on port {Port}, {Adopted} connections from the metadata phase",
            torrent.Name, torrent.InfoHash, have.CountSet, torrent.PieceCount, port, adopted.Count);

        await using var trackers = new TrackerManager(torrent.AnnounceTiers, options.Trackers, loggers.CreateLogger<TrackerManager>(), time, random, engine.TrackerHttp, engine.TrackerUdp);
        _trackers = trackers;
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var baseline = previous;
        var saver = new ResumeSaver(torrent, options.DataDirectory, resumeStore, storage, session, baseline, _logger, time, data => WithSelection(data, session, storage));
        saver.AssumeDurable(durable);
        _saver = saver;
        var tasks = new List<Task>
        {
            session.RunAsync(stop.Token),
            RunTrackersAsync(trackers, session, peerId, port, baseline, stop.Token),
            saver.RunAsync(options.ResumeSaveInterval, stop.Token),
        };
        // Private torrents (BEP 27) get their peers from their tracker only.
        if (engine.Dht is { } dht && !torrent.IsPrivate)
        {
            var finder = new DhtPeerFinder(dht, torrent.InfoHash, port, time, _logger);
            (_dht, _dhtFinder) = (dht, finder);
            tasks.Add(finder.RunAsync(peers => session.AddPeers(peers, PeerSource.Dht),
                () => { var p = session.Progress(); return !p.IsComplete && p.Peers < options.Engine.MaxPeers / 2; }, stop.Token));
            // A hybrid is announced and looked up under its truncated v2 info-hash too, where v2-only clients look for it.
            if (v2Alias is not null)
                tasks.Add(new DhtPeerFinder(dht, v2Alias, port, time, _logger).RunAsync(peers => session.AddPeers(peers, PeerSource.Dht),
                    () => { var p = session.Progress(); return !p.IsComplete && p.Peers < options.Engine.MaxPeers / 2; }, stop.Token));
        }
        // LSD (BEP 14) on the LAN, public torrents only, like the DHT.
        using var localDiscovery = torrent.IsPrivate ? null : engine.AnnounceLocally(torrent.InfoHash, peer => session.AddPeers([peer], PeerSource.Lsd));
        Exception? failure = null;
        try
        {
            await SuperviseAsync(torrent, session, trackers, port, baseline, tasks, stop.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
        catch (Exception error)
        {
            failure = error;
        }
        observer.Progress(RunPhase.Stopping, session.Progress(), port);
        engine.Unregister(torrent.InfoHash, session);
        if (v2Alias is not null)
            engine.Unregister(v2Alias, session);
        await stop.CancelAsync().ConfigureAwait(false);
        await Task.WhenAll(tasks).WaitAsync(TimeSpan.FromSeconds(10), CancellationToken.None).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        await session.DisposeAsync().ConfigureAwait(false);
        // On the way out the data need not be waited for: the save records what is not on disk yet (ResumeSaver).
        await saver.SaveAsync(CancellationToken.None, sync: false).ConfigureAwait(false);
        await trackers.AnnounceStoppedAsync(CancellationToken.None).ConfigureAwait(false);
        if (failure is not null)
            throw failure;
    }

    private async Task SuperviseAsync(Torrent torrent, TorrentSession session, TrackerManager trackers, int port, long[] baseline, List<Task> tasks, CancellationToken cancellationToken)
    {
        var wasComplete = session.WantedCompleted.IsCompleted;
        var lastPeerAt = time.GetUtcNow();
        var seedingSince = wasComplete ? time.GetUtcNow() : (DateTimeOffset?)null;
        var ticks = 0;
        var history = _history = new RunHistory(time);
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(1), time);
        Task<bool>? tick = null;
        // Completion is acted on at once, not at the next tick: a --no-seed download would otherwise idle for up
        // to a second after its last piece, and the 'completed' announce would wait as long.
        Task? completion = wasComplete ? null : session.WantedCompleted;
        while (true)
        {
            tick ??= timer.WaitForNextTickAsync(cancellationToken).AsTask();
            if (completion is not null && await Task.WhenAny(tick, completion).ConfigureAwait(false) == completion)
            {
                completion = null;
            }
            else
            {
                if (!await tick.ConfigureAwait(false))
                    return;
                tick = null;
            }
            var faulted = tasks.FirstOrDefault(t => t.IsFaulted);
            if (faulted is not null)
                await faulted.ConfigureAwait(false);
            var progress = session.Progress();
            var complete = progress.IsComplete;
            CheckProgress(history, progress);
            if (!complete && wasComplete)
            {
                // A new selection wants more: back to downloading.
                wasComplete = false;
                seedingSince = null;
                State = TorrentState.Downloading;
                completion = session.WantedCompleted;
            }
            observer.Progress(complete ? RunPhase.Seeding : RunPhase.Downloading, progress, port);
            if (options.ShowPeers && ++ticks % 5 == 0)
                observer.Peers(session.PeerList());
            if (complete && !wasComplete)
            {
                wasComplete = true;
                State = TorrentState.Seeding;
                seedingSince = time.GetUtcNow();
                observer.Message($"Download complete and verified: {torrent.Name}");
                observer.DownloadCompleted(new DownloadCompletion(torrent.Name, torrent.InfoHash, ContentPaths.For(torrent, options.DataDirectory).Root,
                    torrent.TotalLength, time.GetUtcNow() - _startedAt, progress.DownloadedPayload, progress.UploadedPayload, session.DownloadedBySource()));
                await trackers.AnnounceCompletedAsync(cancellationToken).ConfigureAwait(false);
            }
            if (complete && !options.SeedAfterDownload)
                return;
            if (complete && SeedLimitReached(torrent, progress, baseline, seedingSince))
            {
                observer.Message("Seeding limit reached");
                return;
            }
            if (progress.Peers > 0 || complete)
                lastPeerAt = time.GetUtcNow();
            else if (time.GetUtcNow() - lastPeerAt > options.GiveUpWithoutPeers)
                throw new TimeoutException($"no peer could be reached for {options.GiveUpWithoutPeers.TotalSeconds:0} s (trackers: {DescribeTrackers(trackers)}){DiagnosisSuffix()}");
        }
    }

    private bool SeedLimitReached(Torrent torrent, TorrentProgress progress, long[] baseline, DateTimeOffset? seedingSince)
    {
        if (options.SeedRatio is { } ratio && (baseline[1] + progress.UploadedPayload) >= ratio * torrent.TotalLength)
            return true;
        return options.SeedTime is { } limit && seedingSince is { } since && time.GetUtcNow() - since >= limit;
    }

    internal static string DescribeTrackers(TrackerManager trackers) =>
        trackers.Status.Count == 0 ? "none" : string.Join(", ", trackers.Status.Select(s => $"{s.Url}: {s.LastError ?? "ok"}"));

    private async Task<(Bitfield Have, IReadOnlyList<IPEndPoint> Peers, long[] Totals)> StartupCheckAsync(Torrent torrent, ResumeStore store, CancellationToken cancellationToken)
    {
        if (options.Recheck)
            store.Delete(torrent.InfoHash);
        var reason = options.Recheck ? "--recheck: checking all data" : "";
        // Reported synchronously: Progress<T> would post to the thread pool, and a late report could print after "Check done".
        var progress = new SynchronousProgress<PieceCheckProgress>(p => observer.Checking(reason, p.Fraction));
        var startup = await StartupCheck.RunAsync(torrent, options.DataDirectory, store, progress, cancellationToken, decision =>
        {
            _startup.Mark("resume load and decision");
            if (!options.Recheck)
                reason = decision.Summary;
            if (decision.NeedsCheck)
                observer.Message($"Checking existing data ({reason})");
        }).ConfigureAwait(false);
        var have = startup.Verified;
        _startupResume = startup.Resume;
        _startupNotDurable = startup.NotKnownDurable();
        if (startup.Decision.NeedsCheck)
            observer.Message($"Check done: {have.CountSet}/{torrent.PieceCount} pieces verified");
        else if (startup.Resume is not null)
            observer.Message($"Resuming: {have.CountSet}/{torrent.PieceCount} pieces verified earlier ({reason})");
        var peers = new List<IPEndPoint>();
        foreach (var text in startup.Resume?.Peers ?? [])
            if (IPEndPoint.TryParse(text, out var endPoint))
                peers.Add(endPoint);
        long[] totals = [startup.Resume?.BytesDownloaded ?? 0, startup.Resume?.BytesUploaded ?? 0];
        return (have, peers, totals);
    }

    private async Task RunTrackersAsync(TrackerManager trackers, TorrentSession session, PeerId peerId, int port, long[] baseline, CancellationToken cancellationToken)
    {
        try
        {
            await trackers.RunAsync(
                announceEvent =>
                {
                    var progress = session.Progress();
                    return new AnnounceRequest(session.Torrent.InfoHash, peerId.Memory, port,
                        baseline[1] + progress.UploadedPayload, baseline[0] + progress.DownloadedPayload, progress.Left, announceEvent);
                },
                peers => session.AddPeers(peers, PeerSource.Tracker),
                cancellationToken,
                () => { var p = session.Progress(); return !p.IsComplete && p.Peers < options.Engine.MaxPeers / 2; }).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
        catch (Exception error)
        {
            // Trackers failing is not fatal: peers may still come from --peer or incoming connections.
            _logger.LogWarning("Announcing stopped: {Reason}", error.Message);
        }
    }
}
