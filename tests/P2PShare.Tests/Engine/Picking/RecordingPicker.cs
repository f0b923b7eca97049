using P2PShare.Engine.Picking;

namespace P2PShare.Tests.Engine.Picking;

/// <summary>The end of a chain under test: records each question (and its priority level) and answers with the lowest candidate, or -1.</summary>
internal sealed class RecordingPicker : IPicker
{
    public List<PiecePriority?> Levels { get; } = [];

    public int Calls => Levels.Count;

    public int Pick(PickContext context)
    {
        Levels.Add(context.Level);
        for (var p = 0; p < context.PieceCount; p++)
            if (context.IsCandidate(p))
                return p;
        return -1;
    }
}
