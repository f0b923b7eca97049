namespace P2PShare.Engine.Diagnosis;

/// <summary>Measured rates and the limits in force (the stricter of the torrent's and the engine's; 0: none), bytes per second.</summary>
internal sealed record RateFact(double DownloadRate, long DownloadLimit, double UploadRate, long UploadLimit)
{
    public static RateFact None { get; } = new(0, 0, 0, 0);
}
