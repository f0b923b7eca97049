namespace P2PShare.Engine.Diagnosis;

/// <summary>One tracker's last announce: <paramref name="Announced"/> is false until the first answer or failure.</summary>
internal sealed record TrackerFact(string Url, bool Announced, bool Succeeded, string? Error, int? LastPeerCount);
