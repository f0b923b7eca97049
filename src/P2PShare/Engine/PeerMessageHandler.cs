using System.Buffers;
using Microsoft.Extensions.Logging;
using P2PShare.Metainfo;
using P2PShare.Protocol;
using P2PShare.Protocol.Extensions;
using P2PShare.Protocol.Wire;

namespace P2PShare.Engine;

/// <summary>
/// Applies each message a peer sends to the swarm state: choke and interest, what the peer has, its
/// requests (queued for the send loop) and the blocks it sends us (handed to the scheduler; a completed
/// piece goes to the verifier). Runs on the peer's receive loop under the torrent session's lock, which
/// it shares. Throws <see cref="PeerProtocolException"/> for a peer that breaks the protocol.
/// </summary>
internal sealed class PeerMessageHandler(
    object gate, Torrent torrent, Bitfield have, List<PeerSession> peers, RequestScheduler scheduler, PieceVerifier verifier,
    RateEstimator downloadRate, MetadataServer metadata, PeerExchange pex, EngineOptions options, TimeProvider time, ILogger logger,
    HashExchange? hashes = null)
{
    public void Handle(PeerSession peer, PeerMessage message)
    {
        lock (gate)
        {
            peer.LastMessageAt = time.GetTimestamp();
            var first = !peer.SentFirstMessage;
            if (!peer.IsFast && message.Id is MessageId.SuggestPiece or MessageId.HaveAll or MessageId.HaveNone or MessageId.RejectRequest or MessageId.AllowedFast)
                throw new PeerProtocolException($"{message.Id} without the Fast extension (BEP 6) agreed in the handshakes");
            // Extension messages may come before the bitfield (BEP 10), and allowed-fast or suggest before it (BEP 6);
            // the bitfield (or have-all, have-none) must still count as the first message.
            if (message.Id is not (MessageId.KeepAlive or MessageId.Extended or MessageId.AllowedFast or MessageId.SuggestPiece
                or MessageId.HashRequest or MessageId.Hashes or MessageId.HashReject))
                peer.SentFirstMessage = true;
            switch (message.Id)
            {
                case MessageId.Choke:
                    peer.PeerChoking = true;
                    // A fast peer rejects what it will not serve (or serves it anyway): our requests stay until then,
                    // or until they time out. Without BEP 6 a choke silently drops them.
                    if (!peer.IsFast)
                        scheduler.DropRequests(peer);
                    break;
                case MessageId.Unchoke:
                    peer.PeerChoking = false;
                    peer.UnchokedAt = time.GetTimestamp();
                    peer.LastReceivedDataAt = peer.UnchokedAt;
                    scheduler.FillRequests(peer);
                    break;
                case MessageId.Interested:
                    peer.PeerInterested = true;
                    if (peer.AmChoking && peers.Count(p => !p.AmChoking) < options.UploadSlots)
                        peer.SetChoking(false);
                    break;
                case MessageId.NotInterested:
                    peer.PeerInterested = false;
                    break;
                case MessageId.Have:
                    OnHave(peer, message.Index);
                    break;
                case MessageId.Bitfield:
                    OnBitfield(peer, message, first);
                    break;
                case MessageId.Request:
                    OnRequest(peer, message);
                    break;
                case MessageId.Cancel:
                    // BEP 6: every request is answered, with the block or a reject; a cancelled one with a reject.
                    if (peer.PendingUploads.Remove(BlockRequest.Key(message.Index, message.Begin), out var cancelledLength) && peer.IsFast)
                        peer.Enqueue(new OutgoingMessage(MessageId.RejectRequest, message.Index, message.Begin, cancelledLength));
                    break;
                case MessageId.Piece:
                    OnBlock(peer, message);
                    break;
                case MessageId.Extended:
                    OnExtended(peer, message);
                    break;
                case MessageId.HaveAll:
                    OnHaveAll(peer, first);
                    break;
                case MessageId.HaveNone:
                    if (!first)
                        throw new PeerProtocolException("have-none after the first message");
                    peer.UpdateInterest(have);
                    break;
                case MessageId.RejectRequest:
                    OnReject(peer, message);
                    break;
                case MessageId.AllowedFast:
                    OnAllowedFast(peer, message.Index);
                    break;
                case MessageId.SuggestPiece:
                    break; // A hint only: the picker's own order (rarest first) stands.
                case MessageId.HashRequest or MessageId.Hashes or MessageId.HashReject:
                    if (hashes is null)
                        throw new PeerProtocolException($"{message.Id} for a v1 torrent");
                    hashes.Handle(peer, message);
                    break;
            }
            if (message.Id is MessageId.Bitfield or MessageId.HaveAll or MessageId.Have)
                hashes?.Layers.Pump();
        }
    }

    private void OnExtended(PeerSession peer, in PeerMessage message)
    {
        var (id, body) = ExtendedMessage.Split(message);
        switch (id)
        {
            case ExtendedMessage.HandshakeId:
                peer.Extensions = ExtensionHandshake.Parse(body);
                pex.OnHandshake(peer);
                break;
            case ExtensionSupport.LocalUtMetadataId:
                metadata.Handle(peer, body);
                break;
            case ExtensionSupport.LocalUtPexId:
                pex.OnMessage(peer, body);
                break;
            default:
                break; // An extension we did not announce: ignored, as BEP 10 asks.
        }
    }

    private void OnHave(PeerSession peer, int index)
    {
        if ((uint)index >= (uint)torrent.PieceCount)
            throw new PeerProtocolException($"have for piece {index}, the torrent has {torrent.PieceCount}");
        if (peer.Has[index])
            return;
        peer.Has[index] = true;
        scheduler.Picker.PeerHas(index);
        if (!have[index] && !peer.AmInterested)
            peer.SetInterested(true);
        scheduler.FillRequests(peer);
    }

    private void OnBitfield(PeerSession peer, in PeerMessage message, bool first)
    {
        Span<byte> bytes = message.Length <= 4096 ? stackalloc byte[message.Length] : new byte[message.Length];
        message.Payload.CopyTo(bytes);
        if (!Bitfield.TryFromBytes(bytes, torrent.PieceCount, out var has))
            throw new PeerProtocolException("bitfield has spare bits set");
        if (!first)
        {
            // aria2 sends a whole bitfield mid-connection instead of a run of haves: take its new pieces as haves.
            foreach (var index in has.SetIndices())
                OnHave(peer, index);
            return;
        }
        foreach (var index in has.SetIndices())
            peer.Has[index] = true;
        scheduler.Picker.AddPeer(peer.Has);
        if (has.IsComplete && have.IsComplete)
        {
            // Two seeds have nothing to trade.
            peer.Lifetime.Cancel();
            return;
        }
        peer.UpdateInterest(have);
        scheduler.FillRequests(peer);
    }

    private void OnRequest(PeerSession peer, in PeerMessage message)
    {
        var index = message.Index;
        if ((uint)index >= (uint)torrent.PieceCount || message.Begin < 0 || message.Length is <= 0 or > FrameLimits.StandardBlockLength
            || (long)message.Begin + message.Length > torrent.PieceSize(index))
            throw new PeerProtocolException($"request {index}:{message.Begin}+{message.Length} is out of range");
        var served = have[index] && (!peer.AmChoking || (peer.IsFast && peer.AllowedFastToPeer.Contains(index)));
        if (!served)
        {
            // Allowed to race with our choke; not served. A fast peer is told so at once (BEP 6).
            if (peer.IsFast)
                peer.Enqueue(new OutgoingMessage(MessageId.RejectRequest, index, message.Begin, message.Length));
            return;
        }
        if (peer.PendingUploads.Count >= PeerSession.MaxPendingUploads)
            throw new PeerProtocolException("too many outstanding requests (flood)");
        if (peer.PendingUploads.TryAdd(BlockRequest.Key(index, message.Begin), message.Length))
            peer.Enqueue(OutgoingMessage.Block(index, message.Begin, message.Length));
    }

    private void OnHaveAll(PeerSession peer, bool first)
    {
        if (!first)
            throw new PeerProtocolException("have-all after the first message");
        logger.LogDebug("Peer {Peer} has all pieces (have-all)", peer.Name);
        peer.Has.SetAll();
        peer.CountedAsSeed = true;
        scheduler.Picker.AddSeed();
        if (have.IsComplete)
        {
            // Two seeds have nothing to trade.
            peer.Lifetime.Cancel();
            return;
        }
        peer.UpdateInterest(have);
        scheduler.FillRequests(peer);
    }

    /// <summary>The peer will not send a block we asked for: it goes back to the pool for another peer at once.</summary>
    private void OnReject(PeerSession peer, in PeerMessage message)
    {
        if (!scheduler.Reject(peer, message.Index, message.Begin))
            throw new PeerProtocolException($"reject for block {message.Index}:{message.Begin}, which was never requested");
        peer.RejectsReceived++;
        // Not this peer: it just said no, and asking it again at once could loop. The tick refills it.
        scheduler.Reassign(peer, message.Index, message.Begin, peers);
        foreach (var other in peers)
            if (!ReferenceEquals(other, peer))
                scheduler.FillRequests(other);
        if (logger.IsEnabled(LogLevel.Debug))
            LogReject(peer, message.Index, message.Begin);
    }

    /// <summary>Where a rejected block went: to another peer at once, or back to the pool (the next block or tick takes it).</summary>
    private void LogReject(PeerSession peer, int index, int begin)
    {
        var block = begin / PieceDownload.BlockLength;
        var taker = peers.FirstOrDefault(p => !ReferenceEquals(p, peer) && p.Outstanding.Contains(index, block));
        if (taker is not null)
            logger.LogDebug("Peer {Peer} rejected block {Piece}:{Begin} (reject {Count}); requested from {Other} at once", peer.Name, index, begin, peer.RejectsReceived, taker.Name);
        else
            logger.LogDebug("Peer {Peer} rejected block {Piece}:{Begin} (reject {Count}); back in the pool", peer.Name, index, begin, peer.RejectsReceived);
    }

    private void OnAllowedFast(PeerSession peer, int index)
    {
        // Out of range or beyond our bound: ignored (the set is advisory).
        if ((uint)index >= (uint)torrent.PieceCount || peer.AllowedFastFromPeer.Count >= PeerSession.MaxAllowedFast)
            return;
        if (peer.AllowedFastFromPeer.Add(index) && peer.PeerChoking && !have[index])
            scheduler.FillRequests(peer);
    }

    private void OnBlock(PeerSession peer, in PeerMessage message)
    {
        var outcome = scheduler.AcceptBlock(peer, message, peers, out var completed);
        if (outcome == BlockOutcome.NotRequested)
            throw new PeerProtocolException($"sent block {message.Index}:{message.Begin} that was never requested");
        peer.LastReceivedDataAt = time.GetTimestamp();
        peer.IsSnubbed = false;
        peer.DownloadRate.Add(message.Length);
        peer.RequestRamp?.OnBlock(message.Length);
        downloadRate.Add(message.Length);
        if (completed is not null)
            verifier.Start(completed);
        // Batched refill, not one request per block received: fewer wake-ups and writes on both sides.
        scheduler.RefillIfLow(peer);
    }
}
