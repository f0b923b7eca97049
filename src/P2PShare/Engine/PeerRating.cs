namespace P2PShare.Engine;

/// <summary>What a peer has done, as far as rating it goes.</summary>
internal readonly record struct PeerRecord(long VerifiedBytes, double DownloadRate, int RequestTimeouts, bool IsSnubbed, int HashFailures, TimeSpan Connected);

/// <summary>
/// Scores peers from what they did for us: verified data and its rate count for them; timed-out
/// requests, snubbing and hash failures count against them. Pure, so it is tested alone.
/// </summary>
internal static class PeerRating
{
    /// <summary>A peer is judged only after this long; a new one has had no chance yet.</summary>
    public static readonly TimeSpan GracePeriod = TimeSpan.FromSeconds(60);

    public static double Score(in PeerRecord peer)
    {
        var verifiedMiB = peer.VerifiedBytes / (1024.0 * 1024.0);
        var score = 10 * Math.Log2(1 + verifiedMiB) + 20 * (peer.DownloadRate / (1024.0 * 1024.0));
        score -= 5 * peer.RequestTimeouts;
        score -= peer.IsSnubbed ? 30 : 0;
        score -= 50 * peer.HashFailures;
        return score;
    }

    /// <summary>The peer to drop to make room for a new one: the lowest score among those past the grace period, if it is not useful.</summary>
    public static int? WorstToReplace(IReadOnlyList<PeerRecord> peers)
    {
        var worst = -1;
        var worstScore = double.MaxValue;
        for (var i = 0; i < peers.Count; i++)
        {
            if (peers[i].Connected < GracePeriod)
                continue;
            var score = Score(peers[i]);
            if (score < worstScore)
            {
                worst = i;
                worstScore = score;
            }
        }
        // A peer that is giving us data at a fair rate is kept even when it is the worst of a good bunch.
        return worst >= 0 && worstScore < 5 ? worst : null;
    }
}
