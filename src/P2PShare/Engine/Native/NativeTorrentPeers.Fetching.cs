using Microsoft.Extensions.Logging;
using P2PShare.Protocol.Native;

namespace P2PShare.Engine.Native;

internal sealed partial class NativeTorrentPeers
{
    /// <summary>Endgame copies by torrent piece: fetched by a native peer while another source fetches the same piece.</summary>
    private readonly Dictionary<int, PieceDownload> _duplicates = [];

    /// <summary>One of a peer's fetch loops: picks a torrent piece it can fill, fetches it, waits for the verdict.</summary>
    private async Task FetchLoopAsync(NativeTorrentPeer peer, CancellationToken cancellationToken)
    {
        try
        {
            while (!cancellationToken.IsCancellationRequested)
            {
                await _verifier.DiskQueue.WaitForRoomAsync(cancellationToken).ConfigureAwait(false);
                var piece = Pick(peer);
                if (piece is null)
                {
                    await Task.Delay(_options.IdlePoll, _time, cancellationToken).ConfigureAwait(false);
                    continue;
                }
                await FetchAsync(peer, piece, cancellationToken).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
    }

    private PieceDownload? Pick(NativeTorrentPeer peer)
    {
        lock (_gate)
        {
            if (_have.IsComplete)
                return null;
            if (_scheduler.Picker.PickNew(peer.Has, _have) is { } index)
            {
                _scheduler.Picker.SetBusy(index, true);
                peer.InFlight++;
                peer.Fetching.Add(index);
                return new PieceDownload(index, _torrent.PieceSize(index));
            }
            if (NativeEndgame.Pick(_scheduler.Picker, peer.Has, _have, _duplicates.Keys.ToHashSet(), peer.Fetching) is not { } copy)
                return null;
            var duplicate = new PieceDownload(copy, _torrent.PieceSize(copy));
            _duplicates[copy] = duplicate;
            peer.InFlight++;
            peer.Fetching.Add(copy);
            _logger.LogDebug("Endgame: native peer {Peer} also fetches piece {Piece}", peer.Name, copy);
            return duplicate;
        }
    }

    private async Task FetchAsync(NativeTorrentPeer peer, PieceDownload piece, CancellationToken cancellationToken)
    {
        var waits = new List<Task<bool>>();
        lock (_gate)
        {
            var (first, last) = peer.Map.NativeRange(piece.Index);
            for (var n = first; n <= last; n++)
            {
                var done = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
                waits.Add(done.Task);
                if (!peer.Pending.TryGetValue(n, out var waiters))
                {
                    peer.Pending[n] = waiters = [];
                    peer.Connection.Send(new NativeRequest(n));
                }
                waiters.Add(new NativeWaiter(piece, done));
            }
        }
        bool arrived;
        try
        {
            arrived = (await Task.WhenAll(waits).WaitAsync(_options.RequestTimeout, _time, cancellationToken).ConfigureAwait(false)).All(ok => ok);
        }
        catch (TimeoutException)
        {
            arrived = false;
            lock (_gate)
                peer.TimeoutsInARow++;
            _logger.LogDebug("Native peer {Peer}: piece {Piece} not delivered within {Timeout}", peer.Name, piece.Index, _options.RequestTimeout);
        }
        catch (OperationCanceledException)
        {
            GiveBack(peer, piece);
            throw;
        }
        if (!arrived)
        {
            GiveBack(peer, piece);
            return;
        }
        var good = await WholePieceDelivery.DeliverAsync(_gate, _verifier, piece, peer, cancellationToken, () => ForgetLocked(peer, piece)).ConfigureAwait(false);
        if (!good)
        {
            lock (_gate)
            {
                // A whole torrent piece comes from one native peer, so a failed hash has one culprit.
                if (peer.HashFailures > 0)
                    BanLocked(peer, piece.Index);
            }
        }
    }

    /// <summary>A piece that was not filled: its open requests are withdrawn and the picker may give it to anyone.</summary>
    private void GiveBack(NativeTorrentPeer peer, PieceDownload piece)
    {
        lock (_gate)
        {
            foreach (var (native, waiters) in peer.Pending.ToList())
            {
                waiters.RemoveAll(w => ReferenceEquals(w.Piece, piece));
                if (waiters.Count > 0)
                    continue;
                peer.Pending.Remove(native);
                if (peer.UnderstandsExtensions && !peer.Stop.IsCancellationRequested)
                    peer.Connection.Send(new NativeCancel(native));
            }
            peer.InFlight--;
            // An endgame copy given up leaves the piece busy: the other source is still fetching it.
            if (!ForgetLocked(peer, piece))
                _scheduler.Release(piece.Index);
            foreach (var other in _btPeers)
                _scheduler.FillRequests(other);
        }
        piece.Release();
    }

    /// <summary>The fetch of <paramref name="piece"/> by <paramref name="peer"/> is over. True when it was an endgame copy.</summary>
    private bool ForgetLocked(NativeTorrentPeer peer, PieceDownload piece)
    {
        peer.Fetching.Remove(piece.Index);
        if (!_duplicates.TryGetValue(piece.Index, out var duplicate) || !ReferenceEquals(duplicate, piece))
            return false;
        _duplicates.Remove(piece.Index);
        return true;
    }

    /// <summary>
    /// A torrent piece was verified (from any source): native fetches of another copy of it are withdrawn (endgame: the
    /// first verified copy wins). Call under the lock.
    /// </summary>
    private void WithdrawCopiesLocked(int piece)
    {
        foreach (var peer in _peers)
        {
            if (!peer.Fetching.Contains(piece))
                continue;
            foreach (var waiter in peer.Pending.Values.SelectMany(w => w))
                if (waiter.Piece.Index == piece)
                    waiter.Done.TrySetResult(false);
        }
    }

    /// <summary>The peer will not send native piece <paramref name="native"/>: whoever waits for it gives up.</summary>
    private void FailRequestLocked(NativeTorrentPeer peer, int native)
    {
        if (!peer.Pending.Remove(native, out var waiters))
            return;
        foreach (var waiter in waiters)
            waiter.Done.TrySetResult(false);
    }

    /// <summary>
    /// A native piece arrived: it must answer one of our requests and have the right length; its bytes are copied into
    /// every torrent piece waiting for them (under the lock, so a piece given back meanwhile is never written to).
    /// </summary>
    private async ValueTask OnPieceAsync(NativeTorrentPeer peer, NativePiece message)
    {
        var length = message.Length;
        lock (_gate)
        {
            if (message.Index < 0 || message.Index >= peer.Map.NativeCount || !peer.Pending.Remove(message.Index, out var waiters))
            {
                _logger.LogDebug("Native peer {Peer} sent piece {Index}, which we did not ask of it", peer.Name, message.Index);
                return;
            }
            if (length != peer.Map.NativeLength(message.Index))
            {
                foreach (var waiter in waiters)
                    waiter.Done.TrySetResult(false);
                _logger.LogInformation("Native peer {Peer} sent piece {Index} with {Length} bytes instead of {Expected}: dropped",
                    peer.Name, message.Index, length, peer.Map.NativeLength(message.Index));
                peer.Stop.Cancel();
                return;
            }
            var data = message.Data;
            foreach (var waiter in waiters)
            {
                var (inNative, inTorrent, bytes) = peer.Map.Overlap(message.Index, waiter.Piece.Index);
                data.Slice(inNative, bytes).CopyTo(waiter.Piece.Buffer.AsSpan(inTorrent, bytes));
                waiter.Done.TrySetResult(true);
            }
            peer.DownloadRate.Add(length);
            _downloadRate.Add(length);
        }
        // Paid after the fact, as a receive loop does: the next message waits until the limit allows it.
        await _downloadLimit.ConsumeAsync(length, peer.Stop.Token).ConfigureAwait(false);
    }
}
