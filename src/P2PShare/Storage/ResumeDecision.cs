using P2PShare.Protocol;

namespace P2PShare.Storage;

/// <summary>What to do with a torrent's data at start-up.</summary>
/// <param name="Trusted">Pieces taken as verified without hashing.</param>
/// <param name="ToCheck">Pieces to hash before use (<see cref="PieceChecker"/> with this set); never overlaps Trusted.</param>
/// <param name="Reasons">Why anything is not trusted, one line each; empty when the resume data was used as is.</param>
internal sealed record ResumeDecision(Bitfield Trusted, Bitfield ToCheck, IReadOnlyList<string> Reasons)
{
    public bool NeedsCheck => !ToCheck.IsEmpty;

    /// <summary>A finished download with intact resume data: seed at once.</summary>
    public bool CanSeedNow => Trusted.IsComplete;

    public string Summary => Reasons.Count == 0 ? "resume data intact" : string.Join("; ", Reasons);
}
