namespace P2PShare.Engine.Diagnosis;

/// <summary>How much a finding matters: a problem stops the download, a warning slows it, info explains.</summary>
internal enum FindingSeverity
{
    Info,
    Warning,
    Problem,
}
