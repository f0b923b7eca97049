namespace P2PShare.Engine.Picking;

/// <summary>How much a file (and so its pieces) is wanted. Higher levels are picked first; skipped pieces never.</summary>
internal enum PiecePriority : byte
{
    Skip = 0,
    Low = 1,
    Normal = 2,
    High = 3,
}
