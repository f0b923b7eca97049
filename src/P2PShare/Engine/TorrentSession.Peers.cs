using System.Net;
using Microsoft.Extensions.Logging;
using P2PShare.Metainfo;
using P2PShare.Networking;
using P2PShare.Networking.Peers;
using P2PShare.Protocol;
using P2PShare.Protocol.Wire;

namespace P2PShare.Engine;

/// <summary>
/// A torrent's peers from arrival to departure: incoming and adopted connections, admission at the peer limit
/// (evicting the least useful), each peer's receive loop and first messages, and removal with its bookkeeping.
/// </summary>
internal sealed partial class TorrentSession
{
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
            try
            {
                prepare?.Invoke(peer);
            }
            catch (PeerProtocolException error)
            {
                // What a magnet's metadata phase kept could not be checked then (the piece count was unknown): a HAVE
                // past the end or a bitfield of the wrong length only shows now. It ends this peer, not the torrent;
                // the peer's loop starts cancelled and does the usual clean-up.
                peer.CloseReason = $"protocol violation: {error.Message}";
                peer.Lifetime.Cancel();
            }
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

    private bool StillWanted(PeerSession peer, OutgoingMessage block)
    {
        lock (_gate)
            return peer.PendingUploads.Remove(BlockRequest.Key(block.Index, block.Begin), out _);
    }
}
