using System.Buffers;
using System.Security.Cryptography;
using Microsoft.Extensions.Logging;
using P2PShare.Networking.Peers;
using P2PShare.Protocol;
using P2PShare.Protocol.Wire;

namespace P2PShare.Engine;

// Per-peer lifecycle and message handling.
public sealed partial class TorrentSession
{
    private void StartPeer(PeerConnection connection, KnownPeer? known)
    {
        var peer = new PeerSession(connection, _torrent.PieceCount, _time);
        lock (_gate)
        {
            var duplicate = _peers.Any(p => p.Connection.Remote.PeerId.Equals(connection.Remote.PeerId));
            if (duplicate || _peers.Count >= _options.MaxPeers)
            {
                _ = connection.DisposeAsync();
                return;
            }
            _peers.Add(peer);
            if (known is null && !connection.IsOutgoing)
                _logger.LogDebug("Incoming peer {Peer} ({Client})", peer.Name, connection.Remote.PeerId.ClientName);
            if (known is not null)
                known.IsConnected = true;
        }
        Track(RunPeerAsync(peer, known));
    }

    private async Task RunPeerAsync(PeerSession peer, KnownPeer? known)
    {
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(_lifetime.Token, peer.Lifetime.Token);
        var token = linked.Token;
        string reason = "closed by peer";
        try
        {
            if (!_have.IsEmpty)
                await SendBitfieldAsync(peer, token).ConfigureAwait(false);
            var sender = peer.RunSenderAsync(_readCache, StillWanted, OnUploaded, _uploadLimit, token);
            var receiver = peer.Connection.ReceiveAsync(new FrameLimits(_torrent.PieceCount), m => OnMessage(peer, m), token, _downloadLimit);
            var first = await Task.WhenAny(sender, receiver).ConfigureAwait(false);
            await first.ConfigureAwait(false);
        }
        catch (PeerProtocolException error)
        {
            reason = $"protocol violation: {error.Message}";
        }
        catch (OperationCanceledException)
        {
            reason = "stopped";
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
        RemovePeer(peer, known, reason);
    }

    private async Task SendBitfieldAsync(PeerSession peer, CancellationToken token)
    {
        byte[] message;
        lock (_gate)
        {
            message = new byte[MessageWriter.BitfieldLength(_have.Bytes)];
            MessageWriter.WriteBitfield(message, _have.Bytes);
        }
        await peer.Connection.SendAsync(message, token).ConfigureAwait(false);
    }

    private void RemovePeer(PeerSession peer, KnownPeer? known, string reason)
    {
        _logger.LogDebug("Peer {Peer} disconnected: {Reason}", peer.Name, reason);
        lock (_gate)
        {
            if (!_peers.Remove(peer))
                return;
            _scheduler.DropRequests(peer);
            _scheduler.Picker.RemovePeer(peer.Has);
            if (known is not null)
            {
                known.IsConnected = false;
                var redial = known.WasUseful && known.Redials < _options.MaxRedials && !_lifetime.IsCancellationRequested;
                known.GivenUp = !redial;
                if (redial)
                {
                    known.Redials++;
                    // Back off exponentially with jitter before dialling a dropped peer again.
                    var delay = TimeSpan.FromSeconds(Math.Pow(2, known.Redials) * (0.5 + Random.Shared.NextDouble()));
                    known.NotBeforeTicks = _time.GetTimestamp() + (long)(delay.TotalSeconds * _time.TimestampFrequency);
                }
            }
            foreach (var other in _peers)
                _scheduler.FillRequests(other);
        }
    }

    private void OnMessage(PeerSession peer, PeerMessage message)
    {
        lock (_gate)
        {
            var first = !peer.SentFirstMessage;
            if (message.Id != MessageId.KeepAlive)
                peer.SentFirstMessage = true;
            switch (message.Id)
            {
                case MessageId.Choke:
                    peer.PeerChoking = true;
                    _scheduler.DropRequests(peer);
                    break;
                case MessageId.Unchoke:
                    peer.PeerChoking = false;
                    peer.UnchokedAt = _time.GetTimestamp();
                    peer.LastReceivedDataAt = peer.UnchokedAt;
                    _scheduler.FillRequests(peer);
                    break;
                case MessageId.Interested:
                    peer.PeerInterested = true;
                    if (peer.AmChoking && _peers.Count(p => !p.AmChoking) < _options.UploadSlots)
                        SetChoking(peer, false);
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
                    peer.PendingUploads.Remove(BlockRequest.Key(message.Index, message.Begin));
                    break;
                case MessageId.Piece:
                    OnBlock(peer, message);
                    break;
            }
        }
    }

    private void OnHave(PeerSession peer, int index)
    {
        if ((uint)index >= (uint)_torrent.PieceCount)
            throw new PeerProtocolException($"have for piece {index}, the torrent has {_torrent.PieceCount}");
        if (peer.Has[index])
            return;
        peer.Has[index] = true;
        _scheduler.Picker.PeerHas(index);
        if (!_have[index] && !peer.AmInterested)
            SetInterested(peer, true);
        _scheduler.FillRequests(peer);
    }

    private void OnBitfield(PeerSession peer, in PeerMessage message, bool first)
    {
        Span<byte> bytes = message.Length <= 4096 ? stackalloc byte[message.Length] : new byte[message.Length];
        message.Payload.CopyTo(bytes);
        if (!Bitfield.TryFromBytes(bytes, _torrent.PieceCount, out var has))
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
        _scheduler.Picker.AddPeer(peer.Has);
        if (has.IsComplete && _have.IsComplete)
        {
            // Two seeds have nothing to trade.
            peer.Lifetime.Cancel();
            return;
        }
        UpdateInterest(peer);
        _scheduler.FillRequests(peer);
    }

    private void OnRequest(PeerSession peer, in PeerMessage message)
    {
        var index = message.Index;
        if ((uint)index >= (uint)_torrent.PieceCount || message.Begin < 0 || message.Length is <= 0 or > FrameLimits.StandardBlockLength
            || (long)message.Begin + message.Length > _torrent.PieceSize(index))
            throw new PeerProtocolException($"request {index}:{message.Begin}+{message.Length} is out of range");
        if (peer.AmChoking || !_have[index])
            return; // Allowed to race with our choke; not served.
        if (peer.PendingUploads.Count >= PeerSession.MaxPendingUploads)
            throw new PeerProtocolException("too many outstanding requests (flood)");
        if (peer.PendingUploads.Add(BlockRequest.Key(index, message.Begin)))
            peer.Enqueue(OutgoingMessage.Block(index, message.Begin, message.Length));
    }

    private void OnBlock(PeerSession peer, in PeerMessage message)
    {
        var outcome = _scheduler.AcceptBlock(peer, message, _peers, out var completed);
        if (outcome == BlockOutcome.NotRequested)
            throw new PeerProtocolException($"sent block {message.Index}:{message.Begin} that was never requested");
        peer.LastReceivedDataAt = _time.GetTimestamp();
        peer.IsSnubbed = false;
        peer.DownloadRate.Add(message.Length);
        _downloadRate.Add(message.Length);
        if (completed is not null)
            Track(Task.Run(() => VerifyAndStoreAsync(completed)));
        // Batched refill, not one request per block received: fewer wake-ups and writes on both sides.
        _scheduler.RefillIfLow(peer);
    }

    private async Task VerifyAndStoreAsync(PieceDownload piece)
    {
        try
        {
            var data = piece.Buffer.AsMemory(0, piece.Size);
            Span<byte> hash = stackalloc byte[20];
            SHA1.HashData(data.Span, hash);
            if (!hash.SequenceEqual(_torrent.PieceHash(piece.Index)))
            {
                OnHashFailed(piece, SmartBan.Collect(piece));
                return;
            }
            await _store.WritePieceAsync(piece.Index, data, _lifetime.Token).ConfigureAwait(false);
            OnPieceStored(piece);
            FindCulpritsOfEarlierFailure(piece);
        }
        catch (OperationCanceledException)
        {
        }
        catch (Exception error)
        {
            // Storage failed (disk full, unwritable): the download cannot go on.
            _failed.TrySetException(error);
        }
        finally
        {
            piece.Release();
        }
    }

    private void OnPieceStored(PieceDownload piece)
    {
        bool complete;
        lock (_gate)
        {
            _have[piece.Index] = true;
            _scheduler.Release(piece.Index);
            _verifiedBytes += piece.Size;
            foreach (var sender in piece.SenderOf.OfType<PeerSession>().Distinct())
            {
                sender.VerifiedBytes += piece.Size / piece.BlockCount;
                if (_known.TryGetValue(sender.Connection.RemoteEndPoint, out var known))
                    known.WasUseful = true;
            }
            foreach (var peer in _peers)
            {
                peer.Enqueue(new OutgoingMessage(MessageId.Have, piece.Index));
                if (peer.AmInterested && peer.Has[piece.Index])
                    UpdateInterest(peer);
            }
            complete = _have.IsComplete;
        }
        PieceVerified?.Invoke(piece.Index);
        if (complete)
        {
            _logger.LogInformation("Download complete: all {Pieces} pieces verified", _torrent.PieceCount);
            _completed.TrySetResult();
        }
    }

    private void OnHashFailed(PieceDownload piece, SmartBan.BlockEvidence[] evidence)
    {
        lock (_gate)
        {
            _scheduler.Release(piece.Index);
            var senders = piece.SenderOf.OfType<PeerSession>().Distinct().ToList();
            _logger.LogWarning("Piece {Piece} failed its hash check (sent by {Peers})", piece.Index, string.Join(", ", senders.Select(s => s.Name)));
            // Several senders: keep each block's hash, so the good copy fetched later shows whose blocks were bad.
            if (senders.Count > 1)
                _smartBan.RecordFailure(piece.Index, evidence);
            foreach (var sender in senders)
            {
                sender.HashFailures++;
                // A peer that alone sent a bad piece is certainly at fault; one that shares in repeated failures is too.
                if (senders.Count == 1 || sender.HashFailures >= 3)
                    Ban(sender);
            }
            foreach (var peer in _peers)
                _scheduler.FillRequests(peer);
        }
    }

    private void FindCulpritsOfEarlierFailure(PieceDownload piece)
    {
        SmartBan.BlockEvidence[]? evidence;
        lock (_gate)
            if (!_smartBan.TryTake(piece.Index, out evidence))
                return;
        var culprits = SmartBan.Culprits(evidence, piece.Buffer.AsSpan(0, piece.Size));
        lock (_gate)
        {
            foreach (var culprit in culprits)
            {
                _logger.LogWarning("Banning {Peer}: its blocks of piece {Piece} differ from the verified data", culprit.Sender, piece.Index);
                _bans.Ban(culprit.Sender!, culprit.SenderId!);
                if (_known.TryGetValue(culprit.Sender!, out var known))
                    known.GivenUp = true;
                foreach (var peer in _peers.Where(p => p.Connection.RemoteEndPoint.Equals(culprit.Sender) || p.Connection.Remote.PeerId.Equals(culprit.SenderId)))
                    peer.Lifetime.Cancel();
            }
        }
    }

    private void Ban(PeerSession peer)
    {
        _logger.LogWarning("Banning {Peer} for sending corrupt data", peer.Name);
        _bans.Ban(peer.Connection.RemoteEndPoint, peer.Connection.Remote.PeerId);
        if (_known.TryGetValue(peer.Connection.RemoteEndPoint, out var known))
            known.GivenUp = true;
        peer.Lifetime.Cancel();
    }

    private void UpdateInterest(PeerSession peer)
    {
        var wants = false;
        for (var i = 0; i < peer.Has.Length && !wants; i++)
            wants = peer.Has[i] && !_have[i];
        if (wants != peer.AmInterested)
            SetInterested(peer, wants);
    }

    private void SetInterested(PeerSession peer, bool interested)
    {
        peer.AmInterested = interested;
        peer.Enqueue(new OutgoingMessage(interested ? MessageId.Interested : MessageId.NotInterested));
    }

    private void SetChoking(PeerSession peer, bool choking)
    {
        if (peer.AmChoking == choking)
            return;
        peer.AmChoking = choking;
        if (choking)
            peer.PendingUploads.Clear();
        peer.Enqueue(new OutgoingMessage(choking ? MessageId.Choke : MessageId.Unchoke));
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
            SetChoking(_peers[i], !unchoke.Contains(i));
    }

    private bool StillWanted(PeerSession peer, OutgoingMessage block)
    {
        lock (_gate)
            return peer.PendingUploads.Remove(BlockRequest.Key(block.Index, block.Begin));
    }

    private void OnUploaded(int bytes) => _uploadRate.Add(bytes);
}
