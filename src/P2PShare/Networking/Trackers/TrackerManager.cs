using System.Net;
using Microsoft.Extensions.Logging;
using Polly;
using Polly.CircuitBreaker;

namespace P2PShare.Networking.Trackers;

/// <summary>
/// One torrent's trackers (BEP 12 tiers): announces 'started', then regularly at the tracker's interval,
/// sooner when the engine wants peers (never more often than the min interval), falling over tier by
/// tier. Tracker misbehaviour is logged and recorded in <see cref="Status"/>; it never escapes.
/// </summary>
internal sealed class TrackerManager : IAsyncDisposable
{
    private readonly TrackerOptions _options;
    private readonly ILogger<TrackerManager> _logger;
    private readonly TimeProvider _time;
    private readonly List<TrackerEntry> _entries = [];
    private readonly TrackerTierList<TrackerEntry> _tiers;
    private readonly ResiliencePipeline _allFailedPipeline;
    private readonly HttpClient? _ownedHttp;
    private readonly UdpTrackerSocket? _ownedUdp;
    private Func<AnnounceEvent, AnnounceRequest>? _makeRequest;
    private Action<IReadOnlyList<IPEndPoint>>? _onPeers;
    private volatile TrackerEntry? _current;

    public TrackerManager(IReadOnlyList<IReadOnlyList<string>> tiers, TrackerOptions options, ILogger<TrackerManager> logger, TimeProvider time, Random random)
        : this(tiers, options, logger, time, random, clientFactory: null)
    {
    }

    /// <summary>Trackers over the engine's shared HTTP client and UDP tracker socket (one of each for all torrents).</summary>
    public TrackerManager(IReadOnlyList<IReadOnlyList<string>> tiers, TrackerOptions options, ILogger<TrackerManager> logger, TimeProvider time, Random random, HttpClient http, UdpTrackerSocket? udp = null)
        : this(tiers, options, logger, time, random, clientFactory: null, http, udp)
    {
    }

    /// <param name="clientFactory">Makes the client for a URL (null: unsupported); null means the real HTTP/UDP clients.</param>
    public TrackerManager(
        IReadOnlyList<IReadOnlyList<string>> tiers,
        TrackerOptions options,
        ILogger<TrackerManager> logger,
        TimeProvider time,
        Random random,
        Func<Uri, ITrackerClient?>? clientFactory,
        HttpClient? sharedHttp = null,
        UdpTrackerSocket? sharedUdp = null)
    {
        _options = options;
        _logger = logger;
        _time = time;
        uint drawnKey;
        lock (random)
            drawnKey = (uint)random.NextInt64(0, 1L << 32);
        Key = options.Key ?? drawnKey;
        var randomizer = TrackerResilience.Randomizer(random);
        _allFailedPipeline = TrackerResilience.CreateAllTrackersFailedPipeline(options, time, randomizer, logger);

        if (clientFactory is null)
        {
            var needsHttp = sharedHttp is null && tiers.SelectMany(t => t).Any(url => url.StartsWith("http", StringComparison.OrdinalIgnoreCase));
            _ownedHttp = needsHttp ? HttpTrackerClient.CreateHttpClient(options) : null;
            var http = sharedHttp ?? _ownedHttp;
            var needsUdp = sharedUdp is null && tiers.SelectMany(t => t).Any(url => url.StartsWith("udp:", StringComparison.OrdinalIgnoreCase));
            _ownedUdp = needsUdp ? UdpTrackerSocket.Open(logger) : null;
            var udp = sharedUdp ?? _ownedUdp;
            clientFactory = uri => TrackerClientFactory.TryCreate(uri, http!, options, Key, time, logger, udp);
        }

        var seen = new HashSet<string>(StringComparer.Ordinal);
        var usableTiers = new List<List<TrackerEntry>>();
        for (var tier = 0; tier < tiers.Count; tier++)
        {
            var usable = new List<TrackerEntry>();
            foreach (var url in tiers[tier])
            {
                if (!seen.Add(url))
                    continue; // the same tracker listed twice would only be asked twice
                var entry = CreateEntry(url, tier, clientFactory, randomizer);
                _entries.Add(entry);
                if (entry.Client is not null)
                    usable.Add(entry);
            }
            usableTiers.Add(usable);
        }
        _tiers = new TrackerTierList<TrackerEntry>(usableTiers, random);
    }

    /// <summary>The announce 'key' of this session.</summary>
    public uint Key { get; }

    public IReadOnlyList<TrackerStatus> Status => [.. _entries.Select(entry => entry.Status)];

    /// <summary>The tracker that answered last, if any.</summary>
    public Uri? CurrentTracker => _current?.Client?.Uri;

    /// <summary>
    /// Announces until cancelled. Returns at once when the torrent has no usable tracker.
    /// </summary>
    /// <param name="peersWanted">Asked now and then; true makes the next announce come as soon as the min interval allows.</param>
    public async Task RunAsync(
        Func<AnnounceEvent, AnnounceRequest> makeRequest,
        Action<IReadOnlyList<IPEndPoint>> onPeers,
        CancellationToken ct,
        Func<bool>? peersWanted = null)
    {
        ArgumentNullException.ThrowIfNull(makeRequest);
        ArgumentNullException.ThrowIfNull(onPeers);
        _makeRequest = makeRequest;
        _onPeers = onPeers;
        if (_tiers.TierCount == 0)
        {
            _logger.LogWarning("No usable tracker; announcing is off for this torrent");
            return;
        }

        var pendingEvent = AnnounceEvent.Started;
        while (true)
        {
            var (entry, response) = await _allFailedPipeline.ExecuteAsync(
                async token => await AnnounceAnyAsync(makeRequest(pendingEvent), skip: null, token).ConfigureAwait(false),
                ct).ConfigureAwait(false);
            pendingEvent = AnnounceEvent.None;

            var interval = Clamp(response.Interval);
            var minInterval = Clamp(response.MinInterval ?? _options.DefaultMinInterval);
            if (minInterval > interval)
                minInterval = interval;
            var last = _time.GetUtcNow();
            entry.Update(status => status with { NextAnnounce = last + interval });
            await WaitForNextAnnounceAsync(last, interval, minInterval, peersWanted, ct).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Sends 'completed' to the current tracker (falling over like any announce). Failures are logged.
    /// Before <see cref="RunAsync"/> has started there is nobody to tell, and nothing is sent.
    /// </summary>
    public async Task AnnounceCompletedAsync(CancellationToken ct)
    {
        if (_makeRequest is not { } makeRequest)
        {
            _logger.LogDebug("'completed' not announced: announcing has not started");
            return;
        }
        var request = makeRequest(AnnounceEvent.Completed);
        using var timeout = new CancellationTokenSource(_options.CompletedTimeout, _time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(ct, timeout.Token);
        try
        {
            var current = _current;
            if (current is not null && await TryAnnounceAsync(current, request, linked.Token).ConfigureAwait(false) is not null)
                return;
            await AnnounceAnyAsync(request, skip: current, linked.Token).ConfigureAwait(false);
        }
        catch (AllTrackersFailedException error)
        {
            _logger.LogWarning("Could not announce 'completed': {Error}", error.Message);
        }
        catch (OperationCanceledException) when (timeout.IsCancellationRequested && !ct.IsCancellationRequested)
        {
            _logger.LogWarning("Could not announce 'completed': no tracker answered within {Seconds:0.#} s", _options.CompletedTimeout.TotalSeconds);
        }
    }

    /// <summary>Sends 'stopped' to every tracker we announced to, within <see cref="TrackerOptions.StoppedTimeout"/>. Never throws.</summary>
    public async Task AnnounceStoppedAsync(CancellationToken ct)
    {
        var targets = _entries.Where(entry => entry.Started && entry.Client is not null).ToList();
        if (targets.Count == 0 || _makeRequest is null)
            return;
        AnnounceRequest request;
        try
        {
            request = _makeRequest(AnnounceEvent.Stopped);
        }
        catch (Exception error)
        {
            _logger.LogError(error, "Could not build the 'stopped' announce");
            return;
        }
        using var timeout = new CancellationTokenSource(_options.StoppedTimeout, _time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(ct, timeout.Token);
        await Task.WhenAll(targets.Select(async entry =>
        {
            try
            {
                // Directly, not through the pipeline: no retries on the way out.
                await entry.Client!.AnnounceAsync(request, linked.Token).ConfigureAwait(false);
                entry.Started = false;
                entry.Update(status => status with { LastAnnounce = _time.GetUtcNow(), LastAnnounceSucceeded = true, LastError = null, NextAnnounce = null });
            }
            catch (Exception error)
            {
                var reason = timeout.IsCancellationRequested ? $"timed out after {_options.StoppedTimeout.TotalSeconds:0.#} s" : TrackerResilience.Describe(error);
                _logger.LogInformation("Tracker {Tracker}: 'stopped' not delivered: {Error}", entry.Url, reason);
            }
        })).ConfigureAwait(false);
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var entry in _entries)
        {
            switch (entry.Client)
            {
                case IAsyncDisposable asyncDisposable:
                    await asyncDisposable.DisposeAsync().ConfigureAwait(false);
                    break;
                case IDisposable disposable:
                    disposable.Dispose();
                    break;
            }
        }
        _ownedHttp?.Dispose();
        if (_ownedUdp is not null)
            await _ownedUdp.DisposeAsync().ConfigureAwait(false);
    }

    private TrackerEntry CreateEntry(string url, int tier, Func<Uri, ITrackerClient?> clientFactory, Func<double> randomizer)
    {
        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri))
            return TrackerEntry.Unusable(url, tier, "not a valid URL");
        ITrackerClient? client;
        try
        {
            client = clientFactory(uri);
        }
        catch (ArgumentException error)
        {
            return TrackerEntry.Unusable(url, tier, error.Message);
        }
        if (client is null)
        {
            _logger.LogInformation("Tracker {Tracker} ignored: the '{Scheme}' scheme is not supported", url, uri.Scheme);
            return TrackerEntry.Unusable(url, tier, $"unsupported scheme '{uri.Scheme}'");
        }
        return new TrackerEntry(url, tier, client, TrackerResilience.CreateTrackerPipeline(uri, _options, _time, randomizer, _logger));
    }

    /// <summary>One BEP 12 round: tiers in order, each tier in its current order; the first answer wins.</summary>
    private async Task<(TrackerEntry Entry, AnnounceResponse Response)> AnnounceAnyAsync(AnnounceRequest request, TrackerEntry? skip, CancellationToken ct)
    {
        request.ToParameters(0, null).Validate(); // a bad request is our bug, not a tracker failure
        foreach (var entry in _tiers.InOrder())
        {
            if (entry == skip)
                continue;
            var response = await TryAnnounceAsync(entry, request, ct).ConfigureAwait(false);
            if (response is not null)
                return (entry, response);
        }
        throw new AllTrackersFailedException($"none of {_entries.Count} tracker(s) answered");
    }

    private async Task<AnnounceResponse?> TryAnnounceAsync(TrackerEntry entry, AnnounceRequest request, CancellationToken ct)
    {
        // A tracker we have not told 'started' gets it now, whatever the round's event (e.g. after a fall-over).
        var actual = request.Event == AnnounceEvent.None && !entry.Started ? request with { Event = AnnounceEvent.Started } : request;
        try
        {
            var response = await entry.Pipeline!.ExecuteAsync(
                static async (state, token) => await state.Client.AnnounceAsync(state.Request, token).ConfigureAwait(false),
                (Client: entry.Client!, Request: actual),
                ct).ConfigureAwait(false);
            entry.Started = actual.Event != AnnounceEvent.Stopped;
            entry.Update(status => status with
            {
                LastAnnounce = _time.GetUtcNow(),
                LastAnnounceSucceeded = true,
                LastError = null,
                WarningMessage = response.WarningMessage,
                Seeders = response.Seeders,
                Leechers = response.Leechers,
                LastPeerCount = response.Peers.Count,
            });
            if (response.WarningMessage is not null)
                _logger.LogWarning("Tracker {Tracker} warns: {Warning}", entry.Url, response.WarningMessage);
            _logger.LogDebug("Tracker {Tracker}: {Peers} peers, {Seeders} seeders, {Leechers} leechers, interval {Interval}",
                entry.Url, response.Peers.Count, response.Seeders, response.Leechers, response.Interval);
            _tiers.Promote(entry);
            _current = entry;
            Deliver(response.Peers);
            return response;
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            throw;
        }
        catch (Exception error)
        {
            var reason = TrackerResilience.Describe(error);
            // A skip (open circuit) says nothing of the cause: keep the last real error beside it.
            entry.Update(status => status with
            {
                LastAnnounce = _time.GetUtcNow(),
                LastAnnounceSucceeded = false,
                LastError = error is BrokenCircuitException && status.LastError is { } cause && !cause.Contains(reason, StringComparison.Ordinal)
                    ? $"{cause} ({reason})"
                    : error is BrokenCircuitException && status.LastError is { } same ? same : reason,
            });
            if (error is BrokenCircuitException)
                _logger.LogDebug("Tracker {Tracker} {Reason}", entry.Url, reason);
            else
                _logger.LogWarning("Tracker {Tracker} failed: {Reason}", entry.Url, reason);
            return null;
        }
    }

    private void Deliver(IReadOnlyList<IPEndPoint> peers)
    {
        try
        {
            _onPeers?.Invoke(peers);
        }
        catch (Exception error)
        {
            _logger.LogError(error, "The peer list handler failed");
        }
    }

    private async Task WaitForNextAnnounceAsync(DateTimeOffset last, TimeSpan interval, TimeSpan minInterval, Func<bool>? peersWanted, CancellationToken ct)
    {
        var next = last + interval;
        var earliest = last + minInterval;
        while (true)
        {
            var now = _time.GetUtcNow();
            if (now >= next)
                return;
            if (peersWanted is not null && now >= earliest && AskPeersWanted(peersWanted))
            {
                _logger.LogDebug("Re-announcing early: peers wanted");
                return;
            }
            var wake = next;
            if (peersWanted is not null)
            {
                var check = now < earliest ? earliest : now + _options.PeersWantedPollInterval;
                wake = check < next ? check : next;
            }
            await Task.Delay(wake - now, _time, ct).ConfigureAwait(false);
        }
    }

    private bool AskPeersWanted(Func<bool> peersWanted)
    {
        try
        {
            return peersWanted();
        }
        catch (Exception error)
        {
            _logger.LogError(error, "The peers-wanted callback failed");
            return false;
        }
    }

    private TimeSpan Clamp(TimeSpan interval) =>
        interval < _options.MinimumInterval ? _options.MinimumInterval
        : interval > _options.MaximumInterval ? _options.MaximumInterval
        : interval;
}
