namespace P2PShare.Engine.Picking;

/// <summary>
/// While we have fewer than <paramref name="firstPieces"/> pieces, a random candidate instead of the rarest:
/// a rare piece is slow to get (few peers have it), and the first whole piece is what we can trade.
/// The search starts at a random piece and wraps, so a pick costs one pass at most.
/// </summary>
internal sealed class RandomFirstPicker(Random random, int firstPieces, IPicker next) : IPicker
{
    public int FirstPieces { get; } = firstPieces;

    public int Pick(PickContext context)
    {
        if (context.WeHave.CountSet >= FirstPieces || context.PieceCount == 0)
            return next.Pick(context);
        var count = context.PieceCount;
        var start = random.Next(count);
        for (var i = 0; i < count; i++)
        {
            var piece = start + i < count ? start + i : start + i - count;
            if (context.IsCandidate(piece))
                return piece;
        }
        return -1;
    }
}
