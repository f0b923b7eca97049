namespace P2PShare.Engine.Picking;

/// <summary>
/// Higher priorities first: asks the rest of the chain for a <see cref="PiecePriority.High"/> piece, then
/// a normal one, then a low one; skipped pieces are never candidates. Levels no piece has are not asked.
/// </summary>
internal sealed class PriorityPicker(IPicker next) : IPicker
{
    private static readonly PiecePriority[] Levels = [PiecePriority.High, PiecePriority.Normal, PiecePriority.Low];

    public int Pick(PickContext context)
    {
        var outer = context.Level;
        try
        {
            foreach (var level in Levels)
            {
                if (context.Priorities.CountAt(level) == 0 || (outer is { } fixedLevel && fixedLevel != level))
                    continue;
                context.Level = level;
                var found = next.Pick(context);
                if (found >= 0)
                    return found;
            }
            return -1;
        }
        finally
        {
            context.Level = outer;
        }
    }
}
