using Microsoft.Extensions.Logging;
using P2PShare.Metainfo;
using P2PShare.Networking;
using P2PShare.Networking.WebSeeds;
using P2PShare.Protocol;
using Polly;
using Polly.Timeout;

namespace P2PShare.Engine.WebSeeds;

/// <summary>
/// A torrent's BEP 19 web seeds as sources of whole pieces, beside its peers and under the same rules: each seed
/// "has" every piece and asks the same picker for a new piece (never one a peer is fetching), pays the torrent's
/// download limit, and hands the filled piece to the same verifier, which tells the seed how it turned out. Each
/// seed runs <see cref="WebSeedOptions.PiecesInFlight"/> fetch loops, so its memory is that many piece buffers.
/// Shares the torrent session's lock.
/// </summary>
internal sealed class WebSeedSet
{
    private readonly object _gate;
    private readonly Torrent _torrent;
    private readonly Bitfield _have;
    private readonly List<PeerSession> _peers;
    private readonly RequestScheduler _scheduler;
    private readonly PieceVerifier _verifier;
    private readonly TokenBucket _downloadLimit;
    private readonly RateEstimator _downloadRate;
    private readonly WebSeedOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly CancellationToken _lifetime;
    private readonly List<SeedEntry> _seeds = [];
    private readonly ResiliencePipeline _timeout;
    private readonly HashSet<WebSeed> _dropReported = [];

    public WebSeedSet(object gate, Torrent torrent, Bitfield have, List<PeerSession> peers, RequestScheduler scheduler, PieceVerifier verifier,
        TokenBucket downloadLimit, RateEstimator downloadRate, WebSeedOptions options, HttpClient http, TimeProvider time, ILogger logger,
        CancellationToken lifetime, Func<double>? randomizer = null)
    {
        _gate = gate;
        _torrent = torrent;
        _have = have;
        _peers = peers;
        _scheduler = scheduler;
        _verifier = verifier;
        _downloadLimit = downloadLimit;
        _downloadRate = downloadRate;
        _options = options;
        _time = time;
        _logger = logger;
        _lifetime = lifetime;
        _timeout = WebSeedResilience.CreateTimeoutPipeline(options, time);
        // Jitter only: the shared generator, so the picker's seeded sequence stays as it was.
        randomizer ??= Random.Shared.NextDouble;
        if (!options.Enabled)
            return;
        foreach (var text in torrent.WebSeeds.Distinct(StringComparer.Ordinal))
        {
            if (WebSeedUrl.TryParseBase(text) is not { } url)
            {
                logger.LogDebug("Ignoring web seed {Url:l}: not an http(s) URL", text);
                continue;
            }
            var seed = new WebSeed(url, torrent.PieceCount, options, time);
            _seeds.Add(new SeedEntry(seed, new WebSeedClient(http, url, torrent, time),
                WebSeedResilience.CreateRetryPipeline(gate, seed, options, time, randomizer, logger)));
        }
    }

    public int Count => _seeds.Count;

    /// <summary>Web seeds still in use. Read under the lock.</summary>
    public int ActiveCount => _seeds.Count(s => !s.Seed.IsDisabled);

    /// <summary>The web seeds as rows of the peer list. Call under the lock.</summary>
    public IEnumerable<PeerInfo> Infos() => _seeds.Select(s => new PeerInfo(
        s.Seed.Url.ToString(), s.Seed.DisabledReason is { } reason ? $"dropped: {reason}" : "web seed", s.Seed.DownloadRate.BytesPerSecond, 0,
        s.Seed.Has.Length == 0 ? 0 : (double)s.Seed.Has.CountSet / s.Seed.Has.Length, s.Seed.IsDisabled ? "X" : "W", s.Seed.InFlight,
        s.Seed.HashFailures, 0, s.Client.Transport, Fast: false, Source: PeerSource.WebSeed, Note: s.Seed.Note));

    /// <summary>Fetches until the torrent is complete, every seed is dropped, or the token (or the session) stops.</summary>
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        if (_seeds.Count == 0)
            return;
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _lifetime);
        var loops = _seeds.SelectMany(s => Enumerable.Range(0, Math.Max(1, _options.PiecesInFlight)).Select(_ => FetchLoopAsync(s, linked.Token)));
        await Task.WhenAll(loops).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
    }

    private async Task FetchLoopAsync(SeedEntry entry, CancellationToken cancellationToken)
    {
        var seed = entry.Seed;
        try
        {
            while (true)
            {
                lock (_gate)
                {
                    if (Stopped(seed))
                        return;
                }
                await _verifier.DiskQueue.WaitForRoomAsync(cancellationToken).ConfigureAwait(false);
                bool fetched;
                try
                {
                    fetched = await entry.Retry.ExecuteAsync(static (state, token) => state.Set.AttemptAsync(state.Entry, token),
                        (Set: this, Entry: entry), cancellationToken).ConfigureAwait(false);
                }
                catch (WebSeedException)
                {
                    // Not retried: the seed was dropped (the loop ends above), or this chain hit its bound: a new one after the longest pause.
                    lock (_gate)
                    {
                        if (!seed.IsDisabled)
                            seed.PauseFor(_options.MaxBackoff);
                    }
                    continue;
                }
                if (!fetched)
                    await Task.Delay(_options.IdlePoll, _time, cancellationToken).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
    }

    private bool Stopped(WebSeed seed)
    {
        if (seed.IsDisabled && _dropReported.Add(seed))
            _logger.LogWarning("Web seed {Url:l} dropped: {Reason:l}", seed.Url.ToString(), seed.DisabledReason);
        return seed.IsDisabled || _have.IsComplete;
    }

    private PieceDownload? Pick(WebSeed seed)
    {
        lock (_gate)
        {
            if (Stopped(seed) || _scheduler.Picker.PickNew(seed.Has, _have) is not { } index)
                return null;
            _scheduler.Picker.SetBusy(index, true);
            seed.InFlight++;
            return new PieceDownload(index, _torrent.PieceSize(index));
        }
    }

    /// <summary>
    /// One attempt, run by the seed's retry pipeline: wait out the seed's back-off, pick a piece, fetch it within the
    /// timeout, and wait for its hash check. False: nothing to fetch now. A failure is counted on the seed and thrown as a
    /// <see cref="WebSeedException"/> naming the URL and what was wrong, for the pipeline to back off and retry.
    /// </summary>
    private async ValueTask<bool> AttemptAsync(SeedEntry entry, CancellationToken cancellationToken)
    {
        var (seed, client) = (entry.Seed, entry.Client);
        TimeSpan wait;
        lock (_gate)
            wait = seed.WaitTime();
        // Another fetch loop of this seed is backing off: so does this one.
        if (wait > TimeSpan.Zero)
            await Task.Delay(wait, _time, cancellationToken).ConfigureAwait(false);
        var piece = Pick(seed);
        if (piece is null)
            return false;
        string? failure = null;
        try
        {
            await _timeout.ExecuteAsync(static (state, token) => new ValueTask(state.Client.FetchPieceAsync(state.Piece.Index,
                    state.Piece.Buffer.AsMemory(0, state.Piece.Size), state.Set._downloadLimit, state.OnReceived, Timeout.InfiniteTimeSpan, token)),
                (Client: client, Piece: piece, Set: this, OnReceived: (Action<int>)(bytes =>
                {
                    seed.DownloadRate.Add(bytes);
                    _downloadRate.Add(bytes);
                })), cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            Give(seed, piece, failure: null);
            throw;
        }
        catch (TimeoutRejectedException)
        {
            failure = $"{seed.Url}: no complete answer within {_options.RequestTimeout.TotalSeconds:0.#} s";
        }
        catch (Exception error)
        {
            // WebSeedException names the URL and what was wrong; anything else is a failure of this seed too.
            failure = error is WebSeedException ? error.Message : $"{seed.Url}: {error.Message}";
        }
        if (failure is not null)
        {
            lock (_gate)
            {
                seed.InFlight--;
                seed.OnFailure(failure);
            }
            Give(seed, piece, failure);
            throw new WebSeedException(failure);
        }
        var good = await WholePieceDelivery.DeliverAsync(_gate, _verifier, piece, seed, cancellationToken).ConfigureAwait(false);
        if (!good)
            throw new WebSeedException($"{seed.Url}: piece {piece.Index} failed its hash check");
        return true;
    }

    /// <summary>A piece that was not fetched goes back to the picker, and peers may take it.</summary>
    private void Give(WebSeed seed, PieceDownload piece, string? failure)
    {
        lock (_gate)
        {
            if (failure is null)
                seed.InFlight--;
            _scheduler.Release(piece.Index);
            foreach (var peer in _peers)
                _scheduler.FillRequests(peer);
        }
        piece.Release();
    }

    private sealed record SeedEntry(WebSeed Seed, WebSeedClient Client, ResiliencePipeline Retry);
}
