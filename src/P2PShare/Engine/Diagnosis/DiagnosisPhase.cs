namespace P2PShare.Engine.Diagnosis;

/// <summary>What the torrent is doing when it is diagnosed.</summary>
internal enum DiagnosisPhase
{
    FetchingMetadata,
    Downloading,
    Seeding,
}
