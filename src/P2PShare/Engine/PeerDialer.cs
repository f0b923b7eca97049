using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using P2PShare.Networking;
using P2PShare.Networking.Peers;
using P2PShare.Protocol.Wire;
using Polly;

namespace P2PShare.Engine;

/// <summary>
/// The addresses known for a torrent and the dialling of them: a bounded number of half-open
/// connections, retries with back-off within one dial, and a useful peer that dropped is dialled
/// again after an exponential back-off with jitter. Guarded by the torrent session's lock, which it
/// shares: a finished dial takes it itself.
/// </summary>
internal sealed partial class PeerDialer
{
    private readonly object _gate;
    private readonly Handshake _ourHandshake;
    private readonly EngineOptions _options;
    private readonly PeerBans _bans;
    private readonly TimeProvider _time;
    private readonly Random _random;
    private readonly ILogger _logger;
    private readonly Action<Task> _track;
    private readonly Action<PeerConnection, KnownPeer> _connected;
    private readonly AddressBook<IPEndPoint, KnownPeer> _known;
    private readonly ResiliencePipeline _pipeline;
    private readonly SharedResources _shared;
    private readonly DialSlots _halfOpen;

    // The default (3 retries from 2 s) never reaches it; a larger retry count should not wait minutes on one address.
    private static readonly TimeSpan MaxDialRetryDelay = TimeSpan.FromSeconds(30);

    /// <param name="gate">The torrent session's lock.</param>
    /// <param name="track">Keeps a dial task so the session can wait for it when it stops.</param>
    /// <param name="connected">Takes a connection a dial produced (called outside the lock).</param>
    public PeerDialer(object gate, Handshake ourHandshake, EngineOptions options, PeerBans bans, TimeProvider time, Random random, ILogger logger,
        Action<Task> track, Action<PeerConnection, KnownPeer> connected, SharedResources? shared = null)
    {
        _shared = shared ?? SharedResources.Standalone(time);
        _gate = gate;
        _ourHandshake = ourHandshake;
        _options = options;
        _bans = bans;
        _time = time;
        _random = random;
        _logger = logger;
        _track = track;
        _connected = connected;
        _known = new AddressBook<IPEndPoint, KnownPeer>(MaxKnown, MaxDialFailures, time, random);
        _halfOpen = new DialSlots(_shared.Connections, options.MaxHalfOpen);
        // Polly rejects a retry strategy of zero attempts: no retries is no strategy.
        _pipeline = options.DialRetries <= 0 ? ResiliencePipeline.Empty : new ResiliencePipelineBuilder { TimeProvider = time }
            .AddRetry(ExponentialBackoff.Retry(options.DialRetryDelay, MaxDialRetryDelay, options.DialRetries, ExponentialBackoff.Randomizer(random),
                new PredicateBuilder().Handle<SocketException>().Handle<TimeoutException>().Handle<IOException>()))
            .Build();
    }

    /// <summary>Some address is neither connected, being dialled, nor given up.</summary>
    public bool HasUntried => _known.HasIdle;

    /// <summary>How long to wait before dialling a dropped peer for the <paramref name="redials"/>th time: doubling, with jitter.</summary>
    public static TimeSpan RedialDelay(int redials, Random random) =>
        AddressBook<IPEndPoint, KnownPeer>.Backoff(redials, TimeSpan.FromSeconds(1), TimeSpan.MaxValue, random);

    /// <summary>Every address known, in no particular order (to hand on to the data phase after the metadata phase).</summary>
    public IEnumerable<IPEndPoint> KnownAddresses => _known.Addresses;

    /// <summary>How many known addresses came from <paramref name="source"/>.</summary>
    public int CountFrom(PeerSource source) => _known.Entries.Count(k => k.Source == source);

    /// <summary>How many addresses are known (connected, untried or given up).</summary>
    public int KnownCount => _known.Count;

    /// <summary>Most addresses kept per torrent: trackers, PEX and the DHT together cannot grow the table beyond it.</summary>
    public const int MaxKnown = 4000;

    /// <summary>Failed dials after which an address is not retried even when named again.</summary>
    public const int MaxDialFailures = 6;

    /// <summary>
    /// Adds addresses to dial. An address given up after failed dials and named again (by a tracker, the DHT or PEX)
    /// is retried after a back-off that doubles with each failure, a bounded number of times.
    /// </summary>
    public void Add(IEnumerable<IPEndPoint> endPoints, PeerSource source = PeerSource.Given)
    {
        foreach (var endPoint in endPoints)
        {
            if (endPoint.Port is <= 0 or > IPEndPoint.MaxPort)
                continue;
            _known.Learn(endPoint, address => new KnownPeer(address, source));
        }
    }

    public KnownPeer? Find(IPEndPoint endPoint) => _known.Find(endPoint);

    /// <summary>Addresses of peers that sent us verified data and are not given up.</summary>
    public List<IPEndPoint> UsefulPeers() =>
        _known.Entries.Where(k => k.WasUseful && !k.GivenUp).Select(k => k.EndPoint).ToList();

    /// <summary>Starts dials until the peer or half-open limit is reached.</summary>
    public void DialMore(int connected, long now, CancellationToken cancellationToken)
    {
        // A seed dials too: some clients (transmission) never dial loopback or NATed peers themselves.
        foreach (var known in _known.Entries)
        {
            if (connected + _halfOpen.Count >= _options.MaxPeers)
                return;
            if (!known.IsIdle || now < known.NotBeforeTicks || _bans.IsBanned(known.EndPoint))
                continue;
            if (!_halfOpen.TryTake())
                return;
            _known.DialStarted(known);
            _track(DialAsync(known, cancellationToken));
        }
    }

    /// <summary>The peer sent us data that verified: worth redialling (at any address that led to it) when it drops.</summary>
    public void MarkUseful(PeerSession peer)
    {
        if (_known.Find(peer.Connection.RemoteEndPoint) is { } known)
            known.WasUseful = true;
        foreach (var address in peer.KnownAddresses)
            address.WasUseful = true;
    }

    /// <summary>Never dial this address again.</summary>
    public void GiveUp(IPEndPoint endPoint)
    {
        if (_known.Find(endPoint) is { } known)
            known.GivenUp = true;
    }

    /// <summary>Never dial this peer again, at any address that led to it.</summary>
    public void GiveUp(PeerSession peer)
    {
        GiveUp(peer.Connection.RemoteEndPoint);
        foreach (var address in peer.KnownAddresses)
            address.GivenUp = true;
    }

    /// <summary>A dialled peer's connection ended: a useful one is dialled again after a back-off, a few times; others are given up.</summary>
    public void OnDisconnected(KnownPeer known, bool stopping)
    {
        known.IsConnected = false;
        var redial = known.WasUseful && known.Redials < _options.MaxRedials && !stopping;
        known.GivenUp = !redial;
        if (redial)
        {
            known.Redials++;
            var delay = RedialDelay(known.Redials, _random);
            known.NotBeforeTicks = _time.GetTimestamp() + (long)(delay.TotalSeconds * _time.TimestampFrequency);
        }
    }

    /// <summary>
    /// A failed address the user named (<c>--peer</c>, the daemon's add-peer) is dialled again after a doubling back-off,
    /// up to <see cref="MaxDialFailures"/> failures: no tracker or DHT will name it again, and a peer that was still
    /// starting when we first dialled it is otherwise lost. Addresses from other sources are given up; their source
    /// names them again.
    /// </summary>
    private TimeSpan? GivenRetryDelay(KnownPeer known) =>
        known.Source == PeerSource.Given && known.DialFailures + 1 < MaxDialFailures
            ? AddressBook<IPEndPoint, KnownPeer>.Backoff(known.DialFailures, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(60), _random)
            : null;

    private async Task DialAsync(KnownPeer known, CancellationToken cancellationToken)
    {
        PeerConnection? connection = null;
        Exception? failure = null;
        try
        {
            connection = await _pipeline.ExecuteAsync(
                async token => await PeerConnection.ConnectAsync(_shared.Transport, known.EndPoint, _ourHandshake, _shared.Encryption, _options.ConnectTimeout, token).ConfigureAwait(false),
                cancellationToken).ConfigureAwait(false);
        }
        catch (Exception error) when (error is not OperationCanceledException)
        {
            _logger.LogDebug("Could not connect to {Peer}: {Reason}", known.EndPoint, error.Message);
            failure = error;
        }
        catch (OperationCanceledException)
        {
        }
        _halfOpen.Release();
        lock (_gate)
        {
            if (connection is null)
            {
                _known.DialFailed(known, GivenRetryDelay(known));
                if (failure is not null)
                    RecordFailure(known, failure);
            }
            else
            {
                _known.DialSucceeded(known);
                known.LastFailureKind = null;
                known.LastFailureMessage = null;
            }
        }
        if (connection is not null)
        {
            _logger.LogDebug("Connected to {Peer} over {Transport}", known.EndPoint, connection.Transport);
            _connected(connection, known);
        }
    }
}
