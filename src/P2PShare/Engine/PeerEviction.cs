namespace P2PShare.Engine;

/// <summary>
/// Which connected peer gives up its place when a new peer arrives at the connection limit. Only a peer that is of
/// no use (not interested in us, not sending to us, never gave verified data nor took any upload) and past the grace
/// period can go; of those, the one silent longest. Pure, tested alone.
/// </summary>
internal static class PeerEviction
{
    public static int? Choose(IReadOnlyList<EvictionCandidate> peers, TimeSpan grace)
    {
        int? victim = null;
        var longestSilence = TimeSpan.MinValue;
        for (var i = 0; i < peers.Count; i++)
        {
            var p = peers[i];
            if (p.Closing || p.Connected < grace || p.PeerInterested || p.DownloadingFromIt || p.VerifiedBytes > 0 || p.UploadedBytes > 0)
                continue;
            if (p.Silent > longestSilence)
            {
                longestSilence = p.Silent;
                victim = i;
            }
        }
        return victim;
    }
}
