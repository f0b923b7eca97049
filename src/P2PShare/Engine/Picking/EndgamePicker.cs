using P2PShare.Protocol;

namespace P2PShare.Engine.Picking;

/// <summary>
/// When no piece is left to start: ask this peer too for a block others are still fetching, so the end of a
/// download never waits on the slowest peer. Takes the missing block asked of the fewest peers, never one this
/// peer was already asked for, and never asks more than <see cref="MaxDuplicates"/> peers for one block.
/// </summary>
internal sealed class EndgamePicker(int maxDuplicates)
{
    public int MaxDuplicates { get; } = Math.Max(1, maxDuplicates);

    /// <param name="active">Pieces being fetched.</param>
    /// <param name="peerHas">The peer's pieces.</param>
    /// <param name="askedOfPeer">Whether this peer has a request out for (piece, block).</param>
    public bool TryPick(IEnumerable<PieceDownload> active, Bitfield peerHas, Func<int, int, bool> askedOfPeer, out PieceDownload piece, out int block)
    {
        piece = null!;
        block = -1;
        var fewest = MaxDuplicates;
        foreach (var candidate in active)
        {
            if (!peerHas[candidate.Index])
                continue;
            for (var b = 0; b < candidate.BlockCount; b++)
            {
                var requests = candidate.RequestCount(b);
                if (candidate.IsReceived(b) || requests >= fewest || askedOfPeer(candidate.Index, b))
                    continue;
                piece = candidate;
                block = b;
                fewest = requests;
                if (requests == 0)
                    return true;
            }
        }
        return block >= 0;
    }
}
