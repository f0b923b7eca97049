using System.Buffers;
using Microsoft.Extensions.Logging;
using P2PShare.Networking.Peers;
using P2PShare.Protocol.Extensions;
using P2PShare.Protocol.Wire;

namespace P2PShare.Engine;

/// <summary>
/// The metadata phase's peers: each connection's receive loop, the messages that matter before the info dictionary is
/// known (extended handshake, ut_metadata, have/bitfield kept for the data phase), the requests given out, and drops
/// and bans.
/// </summary>
internal sealed partial class MetadataFetcher
{
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
        peer.MetadataSize is not null && peer.RemoteMetadataId is not null && !peer.Rejected && peer.Strikes < MaxStrikes && !peer.Lifetime.IsCancellationRequested;

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
}
