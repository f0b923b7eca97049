namespace P2PShare.Engine.Picking;

/// <summary>One link of the picker chain: one idea about which piece to start next, deferring to the next link when it has no opinion.</summary>
internal interface IPicker
{
    /// <summary>A candidate piece (see <see cref="PickContext.IsCandidate"/>), or -1 for none.</summary>
    int Pick(PickContext context);
}
