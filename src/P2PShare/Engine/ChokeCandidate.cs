namespace P2PShare.Engine;

/// <summary>What the choker knows of one peer.</summary>
/// <param name="Rate">While downloading: the rate the peer gives us; while seeding: the rate we upload to it.</param>
internal readonly record struct ChokeCandidate(int Id, bool IsInterested, double Rate, bool IsNew, bool IsSnubbed);
