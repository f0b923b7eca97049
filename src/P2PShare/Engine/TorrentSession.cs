using System.Net;
using Microsoft.Extensions.Logging;
using P2PShare.Metainfo;
using P2PShare.Networking;
using P2PShare.Networking.Peers;
using P2PShare.Protocol;
using P2PShare.Protocol.Wire;

namespace P2PShare.Engine;

/// <summary>
/// One torrent's swarm. Coordinates the parts: the dialer finds peers, each peer's receive loop feeds the
/// message handler, the scheduler hands out requests, the verifier checks and stores pieces, and a
/// one-second tick expires requests, rechokes and dials more. Swarm state is guarded by one lock, shared
/// by all the parts; per-peer receive and send loops and piece verification run concurrently around it.
/// </summary>
public sealed partial class TorrentSession : ITorrentPeerSink, IAsyncDisposable
{
    private readonly Torrent _torrent;
    private volatile EngineOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly object _gate = new();
    private readonly Bitfield _have;
    private readonly RequestScheduler _scheduler;
    private readonly Choker _choker;
    private readonly PeerBans _bans;
    private readonly BlockReadCache _readCache;
    private readonly List<PeerSession> _peers = [];
    private readonly PeerDialer _dialer;
    private readonly PieceVerifier _verifier;
    private readonly PeerMessageHandler _messages;
    private readonly PeerExchange _pex;
    private readonly WebSeeds.WebSeedSet _webSeeds;
    private readonly RateEstimator _downloadRate;
    private readonly RateEstimator _uploadRate;
    private readonly TokenBucket _uploadLimit;
    private readonly TokenBucket _downloadLimit;
    private readonly SharedResources _shared;
    private readonly CancellationTokenSource _lifetime = new();
    private readonly BackgroundTasks _background = new();
    private int _disposed;
    private long _lastRechokeTicks;

    public TorrentSession(Torrent torrent, IPieceStore store, Bitfield have, PeerId ourId, EngineOptions options, TimeProvider time, Random random, ILogger logger,
        SharedResources? shared = null)
    {
        _shared = shared ?? SharedResources.Standalone(time);
        _torrent = torrent;
        _store = store;
        _options = options.Validate();
        _time = time;
        _logger = logger;
        _have = have;
        // BEP 27: a private torrent says nothing of a DHT node.
        var dhtBit = _shared.Dht is not null && !torrent.IsPrivate ? Handshake.DhtBit : 0;
        // BEP 52: a v2 or hybrid torrent says it speaks v2 (peers then take our hash requests).
        var v2Bit = torrent.V2 is not null ? Handshake.V2UpgradeBit : 0;
        OurHandshake = new Handshake(ExtensionSupport.Reserved | dhtBit | v2Bit, torrent.InfoHash, ourId);
        _scheduler = new RequestScheduler(torrent, have, new PiecePicker(torrent.PieceCount, random), options, time);
        _choker = new Choker(options.UploadSlots, time, random);
        _bans = new PeerBans(time, options.BanDuration);
        _downloadRate = new RateEstimator(time);
        _uploadRate = new RateEstimator(time);
        _readCache = _shared.ReadCache is { } readCache ? new BlockReadCache(store, torrent.PieceSize, readCache) : new BlockReadCache(store, torrent.PieceSize, options.ReadCacheBytes);
        // The torrent's own limits, under the engine's: a transfer pays both.
        _uploadLimit = new TokenBucket(options.MaxUploadRate ?? 0, time, _shared.Upload);
        _downloadLimit = new TokenBucket(options.MaxDownloadRate ?? 0, time, _shared.Download);
        // Redial jitter draws from the shared generator, not the injected one, so the picker's and choker's sequences stay as they were.
        _dialer = new PeerDialer(_gate, OurHandshake, options, _bans, time, Random.Shared, logger, Track, StartPeer, _shared);
        var judge = new BadDataJudge(_gate, _peers, _bans, _dialer, logger);
        _verifier = new PieceVerifier(_gate, torrent, store, have, _peers, _scheduler, _dialer, judge, Track, _lifetime.Token, logger, _shared.Disk);
        _pex = new PeerExchange(torrent, _peers, _dialer, time, logger);
        _webSeeds = new WebSeeds.WebSeedSet(_gate, torrent, have, _peers, _scheduler, _verifier, _downloadLimit, _downloadRate, options.WebSeeds,
            Networking.WebSeeds.WebSeedHttp.Shared, time, logger, _lifetime.Token);
        _hashes = torrent.V2 is null ? null : new HashExchange(torrent, _peers, judge, time, logger);
        _verifier.Blocks = _hashes?.Blocks;
        _messages = new PeerMessageHandler(_gate, torrent, have, _peers, _scheduler, _verifier, _downloadRate, new MetadataServer(torrent), _pex, options, time, logger,
            _hashes);
        _wanted = new Bitfield(torrent.PieceCount);
        _wanted.SetAll();
        _verifier.PieceVerified += OnWantedPieceVerified;
        UpdateWantedCompletion();
    }

    public Handshake OurHandshake { get; }

    public Torrent Torrent => _torrent;

    /// <summary>Completes when every piece is verified and stored.</summary>
    public Task Completed => _verifier.Completed;

    /// <summary>Raised (outside the lock) after a piece is verified and written.</summary>
    public event Action<int>? PieceVerified
    {
        add => _verifier.PieceVerified += value;
        remove => _verifier.PieceVerified -= value;
    }

    /// <summary>Pieces we have; a copy, safe to keep.</summary>
    public Bitfield HaveSnapshot()
    {
        lock (_gate)
            return _have.Clone();
    }

    public TorrentProgress Progress()
    {
        lock (_gate)
        {
            var (wantedPieces, wantedHave, wantedLength, wantedVerified) = WantedCounts();
            return new TorrentProgress(
                _torrent.PieceCount, _have.CountSet, _torrent.TotalLength, _verifier.VerifiedBytes,
                _downloadRate.Total, _uploadRate.Total, _downloadRate.BytesPerSecond, _uploadRate.BytesPerSecond,
                _peers.Count + _webSeeds.ActiveCount + NativePeerCountLocked, _peers.Count(p => p.Has.IsComplete), _scheduler.InEndgame, _shared.Dht?.NodeCount,
                _shared.Dht is null ? null : _dialer.CountFrom(PeerSource.Dht))
            {
                WantedPieces = wantedPieces,
                WantedHave = wantedHave,
                WantedLength = wantedLength,
                WantedVerifiedBytes = wantedVerified,
            };
        }
    }

    public IReadOnlyList<PeerInfo> PeerList()
    {
        lock (_gate)
        {
            return _peers.Select(p => new PeerInfo(
                p.Name, p.Connection.Remote.PeerId.ClientName, p.DownloadRate.BytesPerSecond, p.UploadRate.BytesPerSecond,
                p.Has.Length == 0 ? 0 : (double)p.Has.CountSet / p.Has.Length, Flags(p), p.Outstanding.Count, p.HashFailures,
                PeerRating.Score(p.Record(_time)), p.Connection.Transport, p.IsFast,
                Source: p.KnownAddresses.Count > 0 ? p.KnownAddresses[0].Source : PeerSource.Incoming)).Concat(_webSeeds.Infos()).Concat(NativeInfos()).ToList();
        }
    }

    /// <summary>Addresses of peers that sent us verified data: saved so a restart reconnects at once.</summary>
    public IReadOnlyList<IPEndPoint> UsefulPeers()
    {
        lock (_gate)
            return _dialer.UsefulPeers();
    }

    /// <summary>Adds addresses to dial; they are dialled at once (within the limits), not at the next tick.</summary>
    public void AddPeers(IEnumerable<IPEndPoint> endPoints, PeerSource source = PeerSource.Given)
    {
        lock (_gate)
        {
            _dialer.Add(endPoints, source);
            if (_disposed == 0)
                _dialer.DialMore(_peers.Count, _time.GetTimestamp(), _lifetime.Token);
        }
    }

    /// <summary>
    /// Replaces this torrent's options while it runs: rate limits, the peer limit and upload slots apply at once,
    /// as do the timeouts the session's tick reads; what the dialer, scheduler and web seeds took at start
    /// (request queue, dial retries, web-seed settings) applies from the torrent's next start.
    /// </summary>
    public void ApplyOptions(EngineOptions options)
    {
        options.Validate();
        lock (_gate)
        {
            _options = options;
            _choker.UploadSlots = options.UploadSlots;
        }
        SetRateLimits(options.MaxUploadRate, options.MaxDownloadRate);
    }

    /// <summary>Changes this torrent's rate limits while it runs (null: none).</summary>
    public void SetRateLimits(long? maxUploadRate, long? maxDownloadRate)
    {
        _uploadLimit.SetRate(maxUploadRate ?? 0);
        _downloadLimit.SetRate(maxDownloadRate ?? 0);
    }

    /// <summary>Runs the session until cancelled; throws if storage fails (the download cannot go on).</summary>
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _lifetime.Token);
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(1), _time);
        var failed = _verifier.Failed;
        Track(_webSeeds.RunAsync(linked.Token));
        StartNativeDialling();
        try
        {
            while (true)
            {
                var tick = timer.WaitForNextTickAsync(linked.Token).AsTask();
                await Task.WhenAny(tick, failed).ConfigureAwait(false);
                if (failed.IsCompleted)
                    await failed.ConfigureAwait(false);
                if (!await tick.ConfigureAwait(false))
                    return;
                Tick(linked.Token);
            }
        }
        catch (OperationCanceledException) when (linked.IsCancellationRequested)
        {
        }
    }

    /// <summary>Takes over an incoming connection whose handshake named this torrent.</summary>
    public void Attach(PeerConnection connection)
    {
        bool banned;
        lock (_gate)
            banned = _disposed != 0 || _bans.IsBanned(connection.RemoteEndPoint, connection.Remote.PeerId);
        if (banned)
        {
            _ = connection.DisposeAsync();
            return;
        }
        StartPeer(connection, known: null);
    }

    /// <summary>
    /// Takes over connections from the metadata phase of the same torrent: their peers' extended handshake, bitfield,
    /// haves and choke state carry over, so nothing is dialled or said again. Their connection slots come with them.
    /// </summary>
    public void Adopt(IEnumerable<AdoptedPeer> adopted)
    {
        foreach (var p in adopted)
        {
            KnownPeer? known = null;
            lock (_gate)
            {
                if (p.DialledAddress is { } address)
                {
                    _dialer.Add([address], p.Source);
                    known = _dialer.Find(address);
                }
            }
            StartPeer(p.Connection, known, peer =>
            {
                peer.Extensions = p.Extensions;
                if (p.Extensions is not null)
                    _pex.OnHandshake(peer);
                peer.PeerChoking = p.PeerChoking;
                peer.PeerInterested = p.PeerInterested;
                if (!peer.PeerChoking)
                    peer.UnchokedAt = _time.GetTimestamp();
                if (p.HaveAll && peer.IsFast)
                    _messages.Handle(peer, new PeerMessage(MessageId.HaveAll));
                else if (p.Bitfield is { } bits)
                    _messages.Handle(peer, new PeerMessage(MessageId.Bitfield, length: bits.Length, payload: new System.Buffers.ReadOnlySequence<byte>(bits)));
                if (peer.IsFast)
                    foreach (var index in p.AllowedFast)
                        _messages.Handle(peer, new PeerMessage(MessageId.AllowedFast, index));
                foreach (var index in p.Haves)
                    _messages.Handle(peer, new PeerMessage(MessageId.Have, index));
            }, adoptedSlot: true);
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
            return;
        await _lifetime.CancelAsync().ConfigureAwait(false);
        List<PeerSession> peers;
        lock (_gate)
            peers = [.. _peers];
        foreach (var peer in peers)
            await peer.Lifetime.CancelAsync().ConfigureAwait(false);
        await _background.WhenAllAsync(TimeSpan.FromSeconds(10)).ConfigureAwait(false);
        lock (_gate)
            _scheduler.ReleaseAll();
        _readCache.Clear();
        _lifetime.Dispose();
    }

    private void Tick(CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            var now = _time.GetTimestamp();
            foreach (var peer in _peers)
            {
                if (_time.GetElapsedTime(peer.LastMessageAt, now) > _options.IdleTimeout)
                {
                    peer.CloseReason ??= $"silent for {_options.IdleTimeout.TotalSeconds:0} s";
                    peer.Lifetime.Cancel();
                    continue;
                }
                if (_time.GetElapsedTime(peer.LastSentAt, now) >= _options.KeepAliveInterval)
                {
                    peer.LastSentAt = now;
                    peer.Enqueue(new OutgoingMessage(MessageId.KeepAlive));
                }
                if (_scheduler.ExpireRequests(peer, now))
                    peer.IsSnubbed = true;
                if (!peer.PeerChoking && peer.AmInterested && _time.GetElapsedTime(peer.LastReceivedDataAt, now) > _options.SnubTimeout)
                    peer.IsSnubbed = true;
                _scheduler.FillRequests(peer);
            }
            ServeDeadlinesOnTick(now);
            if (_time.GetElapsedTime(_lastRechokeTicks, now) >= Choker.RechokeInterval)
            {
                _lastRechokeTicks = now;
                Rechoke();
                MakeRoomForNewPeers();
            }
            _pex.Tick(now);
            _hashes?.Tick(_peers);
            _dialer.DialMore(_peers.Count, now, cancellationToken);
        }
    }

    private void Rechoke()
    {
        var seeding = _have.IsComplete;
        var now = _time.GetTimestamp();
        var candidates = _peers.Select((p, i) => new ChokeCandidate(
            i, p.PeerInterested, seeding ? p.UploadRate.BytesPerSecond : p.DownloadRate.BytesPerSecond,
            _time.GetElapsedTime(p.ConnectedAt, now) < TimeSpan.FromSeconds(60), p.IsSnubbed)).ToList();
        var unchoke = _choker.Decide(candidates);
        for (var i = 0; i < _peers.Count; i++)
            _peers[i].SetChoking(!unchoke.Contains(i));
    }

    /// <summary>At the peer limit with untried addresses waiting, the worst-rated peer gives up its place.</summary>
    private void MakeRoomForNewPeers()
    {
        if (_peers.Count < _options.MaxPeers || !_dialer.HasUntried)
            return;
        var worst = PeerRating.WorstToReplace(_peers.Select(p => p.Record(_time)).ToList());
        if (worst is { } index)
        {
            _logger.LogDebug("Dropping {Peer} (lowest rating) to make room for new peers", _peers[index].Name);
            _peers[index].Lifetime.Cancel();
        }
    }

    private void StartPeer(PeerConnection connection, KnownPeer? known) => StartPeer(connection, known, prepare: null, adoptedSlot: false);

    /// <param name="prepare">Sets what is already known of the peer (under the lock, before its loops start).</param>
    /// <param name="adoptedSlot">The connection already holds a slot of the engine's budget (handed over with it).</param>
    private void StartPeer(PeerConnection connection, KnownPeer? known, Action<PeerSession>? prepare, bool adoptedSlot)
    {
        var peer = new PeerSession(connection, _torrent.PieceCount, _time);
        lock (_gate)
        {
            var existing = _peers.Find(p => p.Connection.Remote.PeerId.Equals(connection.Remote.PeerId) && !p.Lifetime.IsCancellationRequested);
            var refused = existing is not null && !KeepsNewConnection(existing.Connection, connection);
            if (refused && known is not null)
            {
                // The address leads to a peer we already talk to (it dialled us first, or a tracker named it
                // afterwards): it counts as connected until that connection ends, so it is not dialled again.
                existing!.AddKnownAddress(known);
            }
            // A replacing connection takes over the slot of the one it replaces; any other needs one of its own.
            refused = refused || _disposed != 0 || (existing is null && !(adoptedSlot ? _peers.Count < _options.MaxPeers : Admit(connection)));
            if (refused || (existing is not null && adoptedSlot))
            {
                if (adoptedSlot)
                    _shared.Connections.Close();
            }
            if (refused)
            {
                _ = connection.DisposeAsync();
                return;
            }
            if (existing is not null)
            {
                foreach (var address in existing.TakeKnownAddresses())
                    peer.AddKnownAddress(address);
                // The new connection takes over the old one's slot.
                existing.CloseReason = "replaced by another connection to the same peer";
                RemovePeerLocked(existing, existing.CloseReason, releaseSlot: false);
                existing.Lifetime.Cancel();
            }
            _peers.Add(peer);
            if (known is null && !connection.IsOutgoing)
                _logger.LogDebug("Incoming peer {Peer} ({Client}) over {Transport}", peer.Name, connection.Remote.PeerId.ClientName, connection.Transport);
            if (peer.IsFast)
                _logger.LogDebug("Peer {Peer} speaks the Fast extension", peer.Name);
            if (known is not null)
                peer.AddKnownAddress(known);
            prepare?.Invoke(peer);
        }
        Track(RunPeerAsync(peer));
    }

    /// <summary>
    /// Two connections to one peer (both dialled each other, or one dialled an address of a peer already
    /// connected): keep the one opened by the lower peer id. Both ends apply the same rule, so they keep the same
    /// connection instead of each closing the other's. Two connections in the same direction: the first stays.
    /// </summary>
    private bool KeepsNewConnection(PeerConnection existing, PeerConnection added)
    {
        if (existing.IsOutgoing == added.IsOutgoing)
            return false;
        var weOpenFirst = OurHandshake.PeerId.Span.SequenceCompareTo(added.Remote.PeerId.Span) < 0;
        return added.IsOutgoing == weOpenFirst;
    }

    /// <summary>
    /// Takes a connection slot (this torrent's and the engine's). At either limit, an incoming peer may take the
    /// place of one that does nothing for us (<see cref="PeerEviction"/>): otherwise connections that handshake and
    /// then stay silent would starve a seeder for as long as they stay.
    /// </summary>
    private bool Admit(PeerConnection connection)
    {
        var full = _peers.Count >= _options.MaxPeers;
        if (!full && _shared.Connections.TryOpen())
            return true;
        if (connection.IsOutgoing)
            return false;
        var now = _time.GetTimestamp();
        var victim = PeerEviction.Choose(_peers.Select(p => new EvictionCandidate(
            p.Lifetime.IsCancellationRequested, _time.GetElapsedTime(p.ConnectedAt, now), _time.GetElapsedTime(p.LastMessageAt, now),
            p.PeerInterested, p.AmInterested && !p.PeerChoking, p.VerifiedBytes, p.UploadRate.Total)).ToList(), _options.EvictionGrace);
        if (victim is not { } index)
            return false;
        var evicted = _peers[index];
        _logger.LogDebug("Evicting idle peer {Peer} to admit {New}", evicted.Name, connection.RemoteEndPoint);
        evicted.CloseReason = "evicted for a new peer";
        // The victim's slot passes to the newcomer: remove it now, so its slot is not counted twice.
        RemovePeerLocked(evicted, "evicted for a new peer", releaseSlot: false);
        evicted.Lifetime.Cancel();
        return true;
    }

    private async Task RunPeerAsync(PeerSession peer)
    {
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(_lifetime.Token, peer.Lifetime.Token);
        var token = linked.Token;
        string reason = "closed by peer";
        try
        {
            if (ExtensionSupport.Supports(peer.Connection.Remote))
                await peer.Connection.SendAsync(ExtensionSupport.HandshakeFrame(_torrent.InfoBytes.Length, _options.AdvertisedPort, offerPex: _pex.Enabled, yourIp: peer.Connection.RemoteEndPoint.Address), token).ConfigureAwait(false);
            await SendFirstMessagesAsync(peer, token).ConfigureAwait(false);
            if (OurHandshake.SupportsDht && peer.Connection.Remote.SupportsDht && _options.AdvertisedPort is { } dhtPort)
                await SendPortAsync(peer, dhtPort, token).ConfigureAwait(false);
            var sender = peer.RunSenderAsync(_readCache, StillWanted, OnUploaded, _uploadLimit, token);
            var receiver = peer.Connection.ReceiveAsync(new FrameLimits(_torrent.PieceCount), m => OnMessage(peer, m), token, _downloadLimit,
                _verifier.DiskQueue.WaitForRoomAsync);
            var first = await Task.WhenAny(sender, receiver).ConfigureAwait(false);
            await first.ConfigureAwait(false);
        }
        catch (PeerProtocolException error)
        {
            reason = $"protocol violation: {error.Message}";
        }
        catch (OperationCanceledException)
        {
            reason = peer.CloseReason ?? "stopped";
        }
        catch (Exception error) when (error is IOException or System.Net.Sockets.SocketException)
        {
            reason = error.Message;
        }
        catch (Exception error)
        {
            reason = error.Message;
            _logger.LogWarning(error, "Peer {Peer} failed", peer.Name);
        }
        await linked.CancelAsync().ConfigureAwait(false);
        peer.CloseOutbox();
        await peer.Connection.DisposeAsync().ConfigureAwait(false);
        RemovePeer(peer, reason);
    }

    private void OnMessage(PeerSession peer, PeerMessage message)
    {
        if (message.Id == MessageId.Port)
        {
            // BEP 5: the peer runs a DHT node on this UDP port; a node worth knowing (private torrents ignore it).
            // Only a peer's first: repeated PORT messages must not become a stream of pings we send for it.
            if (OurHandshake.SupportsDht && _shared.Dht is { } dht && message.Index > 0 && !peer.DhtPortSeen)
            {
                peer.DhtPortSeen = true;
                _ = dht.AddNodeAsync(new IPEndPoint(peer.Connection.RemoteEndPoint.Address, message.Index), _lifetime.Token);
            }
        }
        _messages.Handle(peer, message);
    }

    private static async Task SendPortAsync(PeerSession peer, int port, CancellationToken token)
    {
        var message = new byte[7];
        MessageWriter.WritePort(message, (ushort)port);
        await peer.Connection.SendAsync(message, token).ConfigureAwait(false);
    }

    /// <summary>
    /// What we have, first thing after the handshakes: a bitfield (none when we have nothing), or to a fast peer
    /// (BEP 6) have-all, have-none or a bitfield, then the allowed-fast set for its address (independent of what we
    /// have, as the BEP and libtorrent do; requests for pieces we lack are rejected).
    /// </summary>
    private async Task SendFirstMessagesAsync(PeerSession peer, CancellationToken token)
    {
        byte[] message;
        lock (_gate)
        {
            var allowed = peer.IsFast ? AllowedFastSet.Generate(peer.Connection.RemoteEndPoint.Address, _torrent.InfoHash.Span, _torrent.PieceCount) : [];
            peer.AllowedFastToPeer = allowed.ToHashSet();
            var sendBitfield = !_have.IsEmpty && !(peer.IsFast && _have.IsComplete);
            var first = sendBitfield ? MessageWriter.BitfieldLength(_have.Bytes) : peer.IsFast ? 5 : 0;
            message = new byte[first + allowed.Length * 9];
            var used = sendBitfield ? MessageWriter.WriteBitfield(message, _have.Bytes)
                : !peer.IsFast ? 0
                : _have.IsComplete ? MessageWriter.WriteHaveAll(message) : MessageWriter.WriteHaveNone(message);
            foreach (var index in allowed)
                used += MessageWriter.WriteAllowedFast(message.AsSpan(used), index);
        }
        if (message.Length > 0)
            await peer.Connection.SendAsync(message, token).ConfigureAwait(false);
    }

    private void RemovePeer(PeerSession peer, string reason)
    {
        lock (_gate)
            RemovePeerLocked(peer, reason, releaseSlot: true);
    }

    private void RemovePeerLocked(PeerSession peer, string reason, bool releaseSlot)
    {
        {
            if (!_peers.Remove(peer))
                return;
            _logger.LogDebug("Peer {Peer} disconnected: {Reason}", peer.Name, reason);
            if (releaseSlot)
                _shared.Connections.Close();
            _scheduler.DropRequests(peer);
            if (peer.CountedAsSeed)
                _scheduler.Picker.RemoveSeed();
            else
                _scheduler.Picker.RemovePeer(peer.Has);
            foreach (var known in peer.TakeKnownAddresses())
                _dialer.OnDisconnected(known, stopping: _lifetime.IsCancellationRequested);
            foreach (var other in _peers)
                _scheduler.FillRequests(other);
        }
    }

    private void Track(Task task) => _background.Track(task);

    private bool StillWanted(PeerSession peer, OutgoingMessage block)
    {
        lock (_gate)
            return peer.PendingUploads.Remove(BlockRequest.Key(block.Index, block.Begin), out _);
    }

    private void OnUploaded(int bytes) => _uploadRate.Add(bytes);

    private static string Flags(PeerSession p) =>
        (p.PeerChoking ? "" : "D") + (p.AmChoking ? "" : "U") + (p.AmInterested ? "i" : "") + (p.PeerInterested ? "I" : "")
        + (p.IsSnubbed ? "S" : "") + (p.Connection.IsOutgoing ? "o" : "x") + (p.IsFast ? "F" : "");
}
