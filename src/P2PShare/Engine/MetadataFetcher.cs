using System.Buffers;
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
            return new MetadataFetchProgress(_peers.Count, _peers.Count(p => p.MetadataSize is not null && !p.Rejected),
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
            FillRequests();
            if (!_completed.Task.IsCompleted)
                _dialer.DialMore(_peers.Count, now, cancellationToken);
        }
    }

    private void StartPeer(PeerConnection connection, KnownPeer? known)
    {
        var peer = new MetadataPeer(connection, known, _time.GetTimestamp());
        lock (_gate)
        {
            var refused = _completed.Task.IsCompleted || _disposed != 0 || _peers.Count >= _options.MaxPeers
                || _peers.Any(p => p.Connection.Remote.PeerId.Equals(connection.Remote.PeerId))
                || (known is null && _bans.IsBanned(connection.RemoteEndPoint, connection.Remote.PeerId));
            if (refused || !_shared.Connections.TryOpen())
            {
                _ = connection.DisposeAsync();
                return;
            }
            _peers.Add(peer);
            if (known is not null)
                known.IsConnected = true;
            peer.Run = RunPeerAsync(peer);
        }
        Track(peer.Run);
    }

    private async Task RunPeerAsync(MetadataPeer peer)
    {
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(_lifetime.Token, peer.Lifetime.Token);
        var token = linked.Token;
        var reason = "closed by peer";
        try
        {
            if (!ExtensionSupport.Supports(peer.Connection.Remote))
            {
                reason = "it does not speak the extension protocol (BEP 10), so it cannot give metadata";
                return;
            }
            await peer.Connection.SendAsync(ExtensionSupport.HandshakeFrame(metadataSize: null, _options.AdvertisedPort, yourIp: peer.Connection.RemoteEndPoint.Address), token).ConfigureAwait(false);
            var sender = peer.RunSenderAsync(token);
            var receiver = peer.Connection.ReceiveAsync(FrameLimits.BeforeMetadata, m => OnMessage(peer, m), token);
            var first = await Task.WhenAny(sender, receiver).ConfigureAwait(false);
            if (peer.HandingOver)
                await Task.WhenAll(sender, receiver).ConfigureAwait(false);
            else
                await first.ConfigureAwait(false);
            if (peer.HandingOver)
                reason = "handed over to the data phase";
        }
        catch (PeerProtocolException error)
        {
            reason = $"protocol violation: {error.Message}";
        }
        catch (OperationCanceledException)
        {
            reason = peer.Lifetime.IsCancellationRequested ? "dropped" : "stopped";
        }
        catch (Exception error)
        {
            reason = error.Message;
        }
        finally
        {
            var handOver = peer.HandingOver && reason == "handed over to the data phase";
            await linked.CancelAsync().ConfigureAwait(false);
            peer.CloseOutbox();
            if (!handOver)
                await peer.Connection.DisposeAsync().ConfigureAwait(false);
            lock (_gate)
            {
                _peers.Remove(peer);
                // The slot goes on with the connection into the data phase, which gives it back when that ends.
                if (handOver)
                    _handedOver.Add(new AdoptedPeer(peer.Connection, peer.Known?.EndPoint, peer.Extensions, peer.Bitfield, [.. peer.Haves], peer.PeerChoking, peer.PeerInterested)
                    {
                        HaveAll = peer.HaveAll,
                        AllowedFast = [.. peer.AllowedFast],
                        Source = peer.Known?.Source ?? PeerSource.Incoming,
                    });
                else
                    _shared.Connections.Close();
                _assembler?.ReleaseAll(peer);
                if (peer.Known is not null)
                    _dialer.OnDisconnected(peer.Known, stopping: true);
            }
            _logger.LogDebug("Metadata peer {Peer} disconnected: {Reason}", peer.Name, reason);
        }
    }

    private void OnMessage(MetadataPeer peer, PeerMessage message)
    {
        if (message.Id != MessageId.Extended)
        {
            // Kept for the data phase, which takes this connection over.
            lock (_gate)
                Remember(peer, message);
            return;
        }
        var (id, body) = ExtendedMessage.Split(message);
        lock (_gate)
        {
            if (id == ExtendedMessage.HandshakeId)
                OnExtensionHandshake(peer, ExtensionHandshake.Parse(body));
            else if (id == ExtensionSupport.LocalUtMetadataId)
                OnMetadataMessage(peer, MetadataMessage.Parse(body));
        }
    }

    private static void Remember(MetadataPeer peer, in PeerMessage message)
    {
        switch (message.Id)
        {
            case MessageId.Bitfield when peer.Bitfield is null && !peer.HaveAll:
                peer.Bitfield = message.Payload.ToArray();
                break;
            case MessageId.HaveAll when peer.Bitfield is null && peer.Connection.Remote.SupportsFastExtension:
                peer.HaveAll = true;
                break;
            case MessageId.AllowedFast when peer.AllowedFast.Count < PeerSession.MaxAllowedFast && peer.Connection.Remote.SupportsFastExtension:
                peer.AllowedFast.Add(message.Index);
                break;
            case MessageId.Have when peer.Haves.Count < MetadataPeer.MaxHaves:
                peer.Haves.Add(message.Index);
                break;
            case MessageId.Choke:
                peer.PeerChoking = true;
                break;
            case MessageId.Unchoke:
                peer.PeerChoking = false;
                break;
            case MessageId.Interested:
                peer.PeerInterested = true;
                break;
            case MessageId.NotInterested:
                peer.PeerInterested = false;
                break;
        }
    }

    private void OnExtensionHandshake(MetadataPeer peer, ExtensionHandshake handshake)
    {
        var first = peer.Extensions is null;
        peer.Extensions = handshake;
        if (!first || peer.MetadataSize is not null)
            return;
        if (peer.RemoteMetadataId is null || handshake.MetadataSize is not { } size)
        {
            Drop(peer, "it offers no metadata (no ut_metadata or no metadata_size)");
            return;
        }
        if (size <= 0 || size > ExtensionHandshake.MaxMetadataSize)
        {
            _logger.LogWarning("Refused metadata from {Peer} ({Client}): metadata_size {Size} is outside 1..{Limit}",
                peer.Name, handshake.ClientName ?? peer.Connection.Remote.PeerId.ClientName, size, ExtensionHandshake.MaxMetadataSize);
            Ban(peer, "absurd metadata_size");
            return;
        }
        peer.MetadataSize = size;
        _logger.LogDebug("Peer {Peer} ({Client}) offers {Size} bytes of metadata", peer.Name, handshake.ClientName, size);
        FillRequests();
    }

    private void OnMetadataMessage(MetadataPeer peer, MetadataMessage message)
    {
        switch (message.Type)
        {
            case MetadataMessageType.Request:
                if (++peer.RequestsReceived > MaxRequestsFromPeer)
                    throw new PeerProtocolException($"more than {MaxRequestsFromPeer} metadata requests while we have none");
                if (peer.RemoteMetadataId is { } remoteId)
                    peer.Send(ExtensionSupport.MetadataFrame(remoteId, MetadataMessage.Reject(message.Piece)));
                break;
            case MetadataMessageType.Reject:
                _assembler?.Release(peer, message.Piece);
                peer.Rejected = true;
                FillRequests();
                break;
            case MetadataMessageType.Data:
                OnData(peer, message);
                break;
        }
    }

    private void OnData(MetadataPeer peer, MetadataMessage message)
    {
        if (_assembler is not { } assembler)
            return;
        var outcome = assembler.Accept(peer, message.Piece, message.TotalSize, message.Data.Span);
        if (outcome == MetadataPieceOutcome.WrongSize)
        {
            Ban(peer, $"metadata piece {message.Piece} of the wrong size");
            return;
        }
        if (outcome != MetadataPieceOutcome.Stored)
            return; // Late or repeated: harmless.
        if (!assembler.IsComplete)
        {
            FillRequests();
            return;
        }
        if (assembler.TryVerify(_magnet.InfoHash, out var metadata, out var contributors, _magnet.InfoHashV2))
        {
            _logger.LogInformation("Metadata complete: {Size} bytes from {Peers}, info-hash matches", metadata.Length, string.Join(", ", contributors.Select(p => p.Name)));
            _completed.TrySetResult(metadata);
            foreach (var other in _peers)
            {
                if (other.Lifetime.IsCancellationRequested)
                    continue;
                other.HandingOver = true;
                other.CloseOutbox();
                other.Connection.StopReceiving();
            }
            return;
        }
        _logger.LogWarning("Metadata from {Peers} failed its hash check (SHA-1 is not the info-hash {InfoHash})",
            string.Join(", ", contributors.Select(p => p.Name)), _magnet.InfoHash);
        if (contributors.Count == 1)
            Ban(contributors.First(), "metadata that does not match the info-hash");
        else
            _singleSource = true; // Now one peer gives all pieces, so the next failure names the liar.
        foreach (var contributor in contributors)
            _triedSources.Add(contributor);
        _source = null;
        FillRequests();
    }

    private bool IsEligible(MetadataPeer peer) =>
        peer.MetadataSize is not null && peer.RemoteMetadataId is not null && !peer.Rejected && peer.Strikes < 2 && !peer.Lifetime.IsCancellationRequested;

    private void FillRequests()
    {
        if (_completed.Task.IsCompleted)
            return;
        var eligible = _peers.Where(IsEligible).ToList();
        if (_assembler is { } current && !current.HasOutstanding
            && (!eligible.Any(p => p.MetadataSize == current.TotalSize) || (_singleSource && _source is not null && !eligible.Contains(_source))))
        {
            // Nobody left to finish this size (or the single source failed): start over with what the peers offer now.
            _assembler = null;
            _source = null;
        }
        if (_assembler is null)
        {
            // The size most peers agree on: one liar cannot pick it for everyone.
            var size = eligible.GroupBy(p => p.MetadataSize!.Value).OrderByDescending(g => g.Count()).Select(g => (long?)g.Key).FirstOrDefault();
            if (size is null)
                return;
            _assembler = new MetadataAssembler<MetadataPeer>(size.Value, _time, _options.MetadataRequestTimeout);
            _logger.LogInformation("Fetching {Size} bytes of metadata ({Pieces} pieces) from peers", size.Value, _assembler.PieceCount);
        }
        var assembler = _assembler;
        var sources = eligible.Where(p => p.MetadataSize == assembler.TotalSize).ToList();
        if (_singleSource)
        {
            if (_source is null || !sources.Contains(_source))
            {
                if (assembler.HasOutstanding)
                    return;
                _source = sources.FirstOrDefault(p => !_triedSources.Contains(p)) ?? sources.FirstOrDefault();
                if (_source is null)
                    return;
                _triedSources.Add(_source);
                _logger.LogDebug("Fetching all metadata pieces from {Peer} alone", _source.Name);
            }
            sources = [_source];
        }
        foreach (var peer in sources)
        {
            while (assembler.OutstandingFor(peer) < MaxRequestsPerPeer && assembler.TryAssign(peer, out var piece))
                peer.Send(ExtensionSupport.MetadataFrame(peer.RemoteMetadataId!.Value, MetadataMessage.Request(piece)));
        }
    }

    private void Ban(MetadataPeer peer, string reason)
    {
        _logger.LogWarning("Banning {Peer} for the metadata phase: {Reason}", peer.Name, reason);
        _bans.Ban(peer.Known?.EndPoint ?? peer.Connection.RemoteEndPoint, peer.Connection.Remote.PeerId);
        if (peer.Known is not null)
            _dialer.GiveUp(peer.Known.EndPoint);
        Drop(peer, reason);
    }

    private void Drop(MetadataPeer peer, string reason)
    {
        _logger.LogDebug("Dropping metadata peer {Peer}: {Reason}", peer.Name, reason);
        _assembler?.ReleaseAll(peer);
        peer.Lifetime.Cancel();
    }

    private void Track(Task task) => _background.Track(task);
}
