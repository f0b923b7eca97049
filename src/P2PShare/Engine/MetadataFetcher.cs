using System.Net;
using Microsoft.Extensions.Logging;
using P2PShare.Metainfo;
using P2PShare.Networking.Peers;
using P2PShare.Protocol.Extensions;
using P2PShare.Protocol.Wire;

namespace P2PShare.Engine;

/// <summary>
/// The metadata phase of a magnet link (BEP 9 over BEP 10): dials the known addresses, takes incoming peers,
/// asks peers that offer ut_metadata for 16 KiB pieces of the info dictionary, and checks the assembled whole
/// against the info-hash. A metadata_size over <see cref="ExtensionHandshake.MaxMetadataSize"/> (or not
/// positive) is refused before anything is allocated. A request unanswered for
/// <see cref="EngineOptions.MetadataRequestTimeout"/> goes to another peer. When the whole does not match,
/// a lone contributor is banned; when several contributed, the next tries take all pieces from one peer at a
/// time, so the liar is found and banned while honest peers go on.
/// </summary>
internal sealed partial class MetadataFetcher : ITorrentPeerSink, IAsyncDisposable
{
    /// <summary>Requests in flight per peer.</summary>
    private const int MaxRequestsPerPeer = 4;

    /// <summary>Requests of ours a peer may let time out: then it is asked no more and let go.</summary>
    private const int MaxStrikes = 2;

    /// <summary>We have no metadata to give in this phase: a peer asking over and over is dropped.</summary>
    private const int MaxRequestsFromPeer = 64;

    private static readonly TimeSpan TickInterval = TimeSpan.FromMilliseconds(250);
    private readonly MagnetLink _magnet;
    private readonly EngineOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly object _gate = new();
    private readonly List<MetadataPeer> _peers = [];
    private readonly PeerBans _bans;
    private readonly PeerDialer _dialer;
    private readonly CancellationTokenSource _lifetime = new();
    private readonly BackgroundTasks _background = new();
    private readonly TaskCompletionSource<byte[]> _completed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly HashSet<MetadataPeer> _triedSources = [];
    private readonly List<AdoptedPeer> _handedOver = [];
    private readonly SharedResources _shared;
    private MetadataAssembler<MetadataPeer>? _assembler;
    private bool _singleSource;
    private MetadataPeer? _source;
    private int _disposed;

    public MetadataFetcher(MagnetLink magnet, PeerId ourId, EngineOptions options, TimeProvider time, ILogger logger, SharedResources? shared = null)
    {
        _shared = shared ?? SharedResources.Standalone(time);
        _magnet = magnet;
        _options = options;
        _time = time;
        _logger = logger;
        // BEP 52: a magnet with a v2 info-hash says it speaks v2, so peers take our hash requests in the data phase.
        OurHandshake = new Handshake(ExtensionSupport.Reserved | (magnet.InfoHashV2 is null ? 0 : Handshake.V2UpgradeBit), magnet.InfoHash, ourId);
        _bans = new PeerBans(time, options.BanDuration);
        _dialer = new PeerDialer(_gate, OurHandshake, options, _bans, time, Random.Shared, logger, Track, (connection, known) => StartPeer(connection, known), _shared);
    }

    public Handshake OurHandshake { get; }

    public InfoHash InfoHash => _magnet.InfoHash;

    public void AddPeers(IEnumerable<IPEndPoint> endPoints, PeerSource source = PeerSource.Given)
    {
        lock (_gate)
            _dialer.Add(endPoints, source);
    }

    public MetadataFetchProgress Progress()
    {
        lock (_gate)
            return new MetadataFetchProgress(_peers.Count, _peers.Count(IsEligible),
                _assembler?.ReceivedCount ?? 0, _assembler?.PieceCount ?? 0);
    }

    /// <summary>Addresses worth dialling for the data: every address known, and incoming peers' listen ports ('p'), minus banned ones.</summary>
    public IReadOnlyList<IPEndPoint> PeersForDataPhase()
    {
        lock (_gate)
        {
            var incoming = _peers.Where(p => !p.Connection.IsOutgoing && p.Extensions?.ListenPort is not null)
                .Select(p => new IPEndPoint(p.Connection.RemoteEndPoint.Address, p.Extensions!.ListenPort!.Value));
            return _dialer.KnownAddresses.Concat(incoming).Distinct().Where(e => !_bans.IsBanned(e)).ToList();
        }
    }

    /// <summary>Runs until the metadata is complete and matches the info-hash; returns the info dictionary's bytes.</summary>
    public async Task<byte[]> RunAsync(CancellationToken cancellationToken)
    {
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _lifetime.Token);
        using var timer = new PeriodicTimer(TickInterval, _time);
        Tick(linked.Token);
        while (!_completed.Task.IsCompleted)
        {
            var tick = timer.WaitForNextTickAsync(linked.Token).AsTask();
            await Task.WhenAny(tick, _completed.Task).ConfigureAwait(false);
            if (_completed.Task.IsCompleted)
                break;
            if (!await tick.ConfigureAwait(false))
                break;
            Tick(linked.Token);
        }
        return await _completed.Task.WaitAsync(linked.Token).ConfigureAwait(false);
    }

    /// <summary>
    /// The connections that were open when the metadata completed, with what their peers said meanwhile (extended
    /// handshake, bitfield, haves): the data phase takes them over instead of dialling the peers again. Each is
    /// handed out once; call after <see cref="RunAsync"/> returned.
    /// </summary>
    public async Task<IReadOnlyList<AdoptedPeer>> TakeConnectionsAsync()
    {
        Task[] running;
        lock (_gate)
            running = _peers.Where(p => p.HandingOver && p.Run is not null).Select(p => p.Run!).ToArray();
        // Each peer's loops stop on their own once told to hand over; wait for them so no reader is left behind.
        await Task.WhenAll(running).WaitAsync(TimeSpan.FromSeconds(5)).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        lock (_gate)
        {
            var taken = _handedOver.ToList();
            _handedOver.Clear();
            return taken;
        }
    }

    /// <summary>Takes over an incoming connection whose handshake named this magnet's info-hash.</summary>
    public void Attach(PeerConnection connection) => StartPeer(connection, known: null);

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
            return;
        await _lifetime.CancelAsync().ConfigureAwait(false);
        lock (_gate)
        {
            foreach (var peer in _peers)
                peer.Lifetime.Cancel();
        }
        await _background.WhenAllAsync(TimeSpan.FromSeconds(10)).ConfigureAwait(false);
        List<AdoptedPeer> untaken;
        lock (_gate)
        {
            untaken = [.. _handedOver];
            _handedOver.Clear();
        }
        foreach (var peer in untaken)
            await peer.Connection.DisposeAsync().ConfigureAwait(false);
        _lifetime.Dispose();
    }

    private void Tick(CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            var now = _time.GetTimestamp();
            foreach (var peer in _peers)
                if (peer.Extensions is null && _time.GetElapsedTime(peer.ConnectedAt, now) > _options.ExtensionHandshakeTimeout)
                    Drop(peer, "no extended handshake");
            foreach (var late in _assembler?.ExpireRequests() ?? [])
            {
                late.Strikes++;
                _logger.LogDebug("Metadata request to {Peer} timed out (strike {Strikes})", late.Name, late.Strikes);
            }
            // A peer that offers metadata and never gives it would otherwise hold its slot (and count as a source, so
            // the fetch never gives up and asks trackers and the DHT for no one else) for as long as it stays.
            foreach (var peer in _peers)
                if (peer.Strikes >= MaxStrikes && !peer.Lifetime.IsCancellationRequested)
                    Drop(peer, $"{peer.Strikes} metadata requests timed out");
            FillRequests();
            if (!_completed.Task.IsCompleted)
                _dialer.DialMore(_peers.Count, now, cancellationToken);
        }
    }

    private void Track(Task task) => _background.Track(task);
}
