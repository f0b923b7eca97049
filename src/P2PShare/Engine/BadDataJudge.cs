using Microsoft.Extensions.Logging;

namespace P2PShare.Engine;

/// <summary>
/// Decides who sent the bad data when a piece fails its hash check, and bans them: a lone sender at
/// once, a peer that shares in repeated failures too, and, once a piece assembled from several peers is
/// fetched again and verifies, those whose blocks differ from the good data (smart ban). Guarded by the
/// torrent session's lock, which it shares; the culprit search hashes off the lock.
/// </summary>
internal sealed class BadDataJudge(object gate, List<PeerSession> peers, PeerBans bans, PeerDialer dialer, ILogger logger)
{
    // A peer that shares in a failed piece loses trust; one that sends good pieces earns it back, up to a cap.
    // A fresh peer is banned at its fourth shared failure, but an honest peer that has served many good pieces
    // survives a run of failures caused by a bad co-sender, which smart ban then catches by its blocks.
    private const int TrustPerVerifiedPiece = 1;
    private const int MaxTrust = 8;
    private const int TrustLostPerFailure = 2;
    private const int BanBelowTrust = -7;
    private readonly SmartBan _smartBan = new();

    /// <summary>Call under the lock, with the distinct senders of the failed piece.</summary>
    /// <param name="exactCheckPending">The piece's bad blocks will be found exactly (v2 block hashes): the senders keep
    /// their trust, since an honest co-sender of many bad pieces would otherwise be banned before the answer comes.</param>
    public void OnHashFailed(int pieceIndex, List<PeerSession> senders, SmartBan.BlockEvidence[] evidence, bool exactCheckPending = false)
    {
        logger.LogWarning("Piece {Piece} failed its hash check (sent by {Peers})", pieceIndex, string.Join(", ", senders.Select(s => s.Name)));
        // Several senders: keep each block's hash, so the good copy fetched later shows whose blocks were bad.
        if (senders.Count > 1)
            _smartBan.RecordFailure(pieceIndex, evidence);
        // A failure that carries a block of a peer already banned for bad data is explained by that peer: pieces it had
        // in flight when it was caught keep failing for a moment, and must not cost its co-senders their trust.
        var explained = senders.Count > 1 && senders.Exists(s => bans.IsBanned(s.Connection.RemoteEndPoint, s.Connection.Remote.PeerId));
        foreach (var sender in senders)
        {
            sender.HashFailures++;
            if ((exactCheckPending || explained) && senders.Count > 1)
                continue;
            sender.Trust -= TrustLostPerFailure;
            // A peer that alone sent a bad piece is certainly at fault; one that keeps sharing in failures is too.
            if (senders.Count == 1 || sender.Trust <= BanBelowTrust)
                Ban(sender);
        }
    }

    /// <summary>Call under the lock when a piece verified, once for each of its distinct senders.</summary>
    public static void OnPieceVerified(PeerSession sender) =>
        sender.Trust = Math.Min(sender.Trust + TrustPerVerifiedPiece, MaxTrust);

    /// <summary>A piece verified: if an earlier copy of it failed, bans the senders of the blocks that differ. Call off the lock, while the buffer is valid.</summary>
    public void FindCulpritsOfEarlierFailure(PieceDownload piece)
    {
        SmartBan.BlockEvidence[]? evidence;
        lock (gate)
            if (!_smartBan.TryTake(piece.Index, out evidence))
                return;
        var culprits = SmartBan.Culprits(evidence, piece.Buffer.AsSpan(0, piece.Size));
        lock (gate)
            BanBlockSenders(culprits, piece.Index, "its blocks differ from the verified data");
    }

    /// <summary>Bans the senders of blocks known to be bad (and drops their connections). Call under the lock.</summary>
    public void BanBlockSenders(IReadOnlyList<SmartBan.BlockEvidence> culprits, int pieceIndex, string why)
    {
        foreach (var culprit in culprits)
        {
            logger.LogWarning("Banning {Peer}: piece {Piece}, {Why}", culprit.Sender, pieceIndex, why);
            bans.Ban(culprit.Sender!, culprit.SenderId!);
            dialer.GiveUp(culprit.Sender!);
            foreach (var peer in peers.Where(p => p.Connection.RemoteEndPoint.Equals(culprit.Sender) || p.Connection.Remote.PeerId.Equals(culprit.SenderId)))
            {
                peer.CloseReason ??= $"banned: piece {pieceIndex}, {why}";
                dialer.GiveUp(peer);
                peer.Lifetime.Cancel();
            }
        }
    }

    private void Ban(PeerSession peer)
    {
        logger.LogWarning("Banning {Peer} for sending corrupt data", peer.Name);
        bans.Ban(peer.Connection.RemoteEndPoint, peer.Connection.Remote.PeerId);
        dialer.GiveUp(peer);
        peer.Lifetime.Cancel();
    }
}
