using P2PShare.Protocol;
using Microsoft.Extensions.Logging;
using P2PShare.Networking.Native;
using P2PShare.Protocol.Native;

namespace P2PShare.Engine.Native;

internal sealed partial class NativeNode
{
    /// <summary>Checks a new connection's handshake and adds it to the swarm; null (with a reason) when refused.</summary>
    private NativePeerSession? RegisterLocked(NativeConnection connection, out string? reason)
    {
        reason = null;
        var theirs = connection.RemoteHandshake;
        if (theirs.Id == Id)
        {
            reason = "connected to itself";
            return null;
        }
        if (_sessions.Count >= _options.MaxConnections)
        {
            reason = "too many connections";
            return null;
        }
        if (_download.File is { } file)
        {
            if (theirs.FileHash is not null && theirs.FileHash != file.FileHash)
            {
                reason = $"it shares another file (SHA-1 {theirs.FileHash}, ours {file.FileHash})";
                return null;
            }
            if (theirs.FileHash is not null)
                _download.OfferPieceHashes(theirs.PieceHashes);
        }
        else
        {
            if (!_download.TryAdopt(theirs, _options.Limits, out reason))
                return null;
            if (_download.File is not null)
                CreateScheduler();
        }
        if (_sessions.TryGetValue(theirs.Id, out var existing))
        {
            // Both ends keep the connection opened by the greater id, so they agree on which one survives.
            var greater = NativePeerId.ShouldDial(Id, theirs.Id) ? Id : theirs.Id;
            var newDialler = connection.Dialled ? Id : theirs.Id;
            var oldDialler = existing.Connection.Dialled ? Id : theirs.Id;
            if (newDialler != greater || oldDialler == greater)
            {
                reason = "already connected to this peer";
                return null;
            }
            _sessions.Remove(theirs.Id);
            existing.Stop.Cancel();
        }

        var session = new NativePeerSession(connection, _stop.Token);
        connection.PieceSource = _download;
        connection.UploadDelayPerPiece = _options.UploadDelayPerPiece;
        _sessions[theirs.Id] = session;

        if (_download.Pieces is { CountSet: > 0 } pieces)
            connection.Send(new NativeBitfield([.. pieces.SetIndices()]));
        if (!connection.Dialled)
            NativePeerExchange.Introduce(connection, _sessions.Values.Select(s => s.Connection), _options.Limits.MaxPeersPerMessage);
        return session;
    }

    private async ValueTask HandleMessageAsync(NativePeerSession session, NativeMessage message)
    {
        switch (message)
        {
            case NativePiece piece:
                using (piece)
                    await HandlePieceAsync(session, piece).ConfigureAwait(false);
                break;
            case NativeBitfield bitfield:
                lock (_gate)
                {
                    foreach (var index in bitfield.Pieces)
                        NotePeerHasLocked(session, index);
                    PumpLocked(session);
                }
                break;
            case NativeHave have:
                lock (_gate)
                {
                    NotePeerHasLocked(session, have.Index);
                    PumpLocked(session);
                }
                break;
            case NativeRequest request:
                HandleRequest(session, request.Index);
                break;
            case NativeDontHave dontHave:
                lock (_gate)
                {
                    session.Pieces.Remove(dontHave.Index);
                    if (session.Requested.Remove(dontHave.Index))
                        _scheduler?.Penalise(dontHave.Index, session);
                    PumpLocked(session);
                }
                break;
            case NativeCancel cancel:
                session.Connection.CancelUpload(cancel.Index);
                break;
            case NativePeers peers:
                HandlePeers(peers);
                break;
            default:
                // keepalive, a repeated handshake, a late auth: nothing to do.
                break;
        }
    }

    private void NotePeerHasLocked(NativePeerSession session, int index)
    {
        var limit = _download.File?.PieceCount ?? _options.Limits.MaxPieceCount;
        if (index < limit && session.Pieces.Count < limit)
            session.Pieces.Add(index);
    }

    private void HandleRequest(NativePeerSession session, int index)
    {
        _options.OnRequestReceived?.Invoke(session.Id, index);
        lock (_gate)
        {
            if (_download.Has(index))
            {
                if (!session.Connection.TrySendPiece(index, _options.MaxQueuedUploadsPerPeer))
                    _logger.LogDebug("Peer {PeerId} has too many requests queued; piece {Index} not sent", session.Id, index);
            }
            else if (session.UnderstandsExtensions)
            {
                // The original stays silent here; our peers get an answer so they can ask elsewhere at once.
                session.Connection.Send(new NativeDontHave(index));
            }
        }
    }

    private async Task HandlePieceAsync(NativePeerSession session, NativePiece piece)
    {
        var index = piece.Index;
        lock (_gate)
        {
            if (_scheduler is null || _download.File is not { } file || !_scheduler.IsRequestedFrom(index, session))
            {
                _logger.LogDebug("Dropped piece {Index} from peer {PeerId}: not requested from it", index, session.Id);
                return;
            }
            if (piece.Length != file.PieceLength(index))
            {
                _logger.LogWarning("Dropped piece {Index} from peer {PeerId}: {Length} bytes, {Expected} expected", index, session.Id, piece.Length, file.PieceLength(index));
                RejectLocked(session, index);
                return;
            }
        }
        if (!_download.VerifyPiece(index, piece.Data))
        {
            _logger.LogWarning("Dropped piece {Index} from peer {PeerId}: its SHA-1 does not match", index, session.Id);
            lock (_gate)
                RejectLocked(session, index);
            return;
        }
        await _download.WritePieceAsync(index, piece.Memory, _stop.Token).ConfigureAwait(false);
        lock (_gate)
        {
            _scheduler.Release(index);
            session.Requested.Remove(index);
            if (!_download.Pieces![index])
            {
                _download.Pieces[index] = true;
                session.PiecesReceived++;
                _receivedByPeer[session.Id] = _receivedByPeer.GetValueOrDefault(session.Id) + 1;
                _bytesDownloaded += piece.Length;
                _resumeDirty = true;
                var have = new NativeHave(index);
                foreach (var other in _sessions.Values)
                    if (!ReferenceEquals(other, session))
                        other.Connection.Send(have);
            }
            CheckCompleteLocked();
            PumpLocked(session);
        }
    }

    private void RejectLocked(NativePeerSession session, int index)
    {
        _scheduler?.Penalise(index, session);
        session.Requested.Remove(index);
        PumpLocked(session);
    }

    /// <summary>Fills the peer's request slots: lowest missing pieces it has, none asked of anyone else.</summary>
    private void PumpLocked(NativePeerSession session)
    {
        if (_scheduler is null || _download.Pieces is not { } pieces || pieces.IsComplete || _download.IsComplete)
            return;
        var slots = _options.MaxOutstandingRequestsPerPeer - session.Requested.Count;
        foreach (var index in _scheduler.Pick(session, slots, session.Pieces.Contains, i => pieces[i]))
        {
            session.Requested.Add(index);
            session.Connection.Send(new NativeRequest(index));
        }
    }

    private void CheckCompleteLocked()
    {
        if (_verifying || _download.IsComplete || _download.Pieces is not { IsComplete: true } pieces)
            return;
        _verifying = true;
        Track(VerifyAsync(SnapshotLocked(pieces), _stop.Token));
    }

    /// <summary>Every piece is here: check the whole-file SHA-1 before calling the file complete.</summary>
    private async Task VerifyAsync(Bitfield snapshot, CancellationToken cancellationToken)
    {
        try
        {
            await SaveResumeAsync(snapshot, cancellationToken).ConfigureAwait(false);
            var expected = _download.File!.FileHash;
            var actual = await _download.ComputeFileHashAsync(cancellationToken).ConfigureAwait(false);
            if (actual == expected)
            {
                await _download.MarkCompleteAsync(cancellationToken).ConfigureAwait(false);
                _logger.LogInformation("Download complete, SHA-1 {Hash} verified: {File}", actual, _options.FilePath);
                lock (_gate)
                    _verifying = false;
                _completed.TrySetResult();
                return;
            }
            _logger.LogError("Whole-file SHA-1 is {Actual}, expected {Expected}: the file is not complete", actual, expected);
            var bad = await _download.FindBadPiecesAsync(cancellationToken).ConfigureAwait(false);
            lock (_gate)
            {
                _verificationFailures++;
                foreach (var index in bad)
                    _download.Pieces![index] = false;
                _resumeDirty = true;
                _verifying = false;
                if (_verificationFailures >= _options.MaxVerificationFailures)
                {
                    _completed.TrySetException(new IOException(
                        $"the downloaded file does not match its SHA-1 {expected} after {_verificationFailures} attempts"));
                    return;
                }
                foreach (var session in _sessions.Values)
                    PumpLocked(session);
            }
        }
        catch (OperationCanceledException)
        {
        }
        catch (IOException error)
        {
            _completed.TrySetException(error);
        }
    }
}
