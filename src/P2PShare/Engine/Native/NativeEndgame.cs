using P2PShare.Protocol;

namespace P2PShare.Engine.Native;

/// <summary>
/// Endgame for native peers: once every wanted piece we lack is being fetched (by BitTorrent peers, web seeds or native
/// peers), an idle native peer may fetch one of them a second time. The first copy verified wins: the verifier drops the
/// other, and the fetches still under way are withdrawn. At most one extra copy per piece.
/// </summary>
internal static class NativeEndgame
{
    /// <summary>
    /// A piece in flight elsewhere that the peer has, that has no extra copy yet (<paramref name="duplicated"/>) and that
    /// the peer is not fetching already (<paramref name="ownFetching"/>); the rarest such piece. Null while some wanted
    /// piece we lack is not being fetched at all (then it is no endgame), or when there is none.
    /// </summary>
    public static int? Pick(PiecePicker picker, Bitfield peerHas, Bitfield have, IReadOnlySet<int> duplicated, IReadOnlySet<int> ownFetching)
    {
        int? best = null;
        for (var piece = 0; piece < have.Length; piece++)
        {
            if (have[piece] || !picker.Priorities.IsWanted(piece))
                continue;
            if (!picker.IsBusy(piece))
                return null;
            if (!peerHas[piece] || duplicated.Contains(piece) || ownFetching.Contains(piece))
                continue;
            if (best is not { } current || picker.Availability(piece) < picker.Availability(current))
                best = piece;
        }
        return best;
    }
}
