namespace P2PShare.Engine.Diagnosis;

/// <summary>One cause found: a stable code (see <see cref="FindingCodes"/>), a one-line message, and the facts behind it.</summary>
internal sealed record Finding(string Code, FindingSeverity Severity, string Message, IReadOnlyList<string> Evidence)
{
    public override string ToString() => Evidence.Count == 0 ? $"[{Code}] {Message}" : $"[{Code}] {Message} ({string.Join("; ", Evidence)})";
}
