namespace P2PShare.Engine.Diagnosis;

/// <summary>A known address whose last dial failed: why, with the error text, and how many dials failed in a row.</summary>
internal sealed record DialFailureFact(string Address, PeerSource Source, DialFailureKind Kind, string Message, int Failures);
