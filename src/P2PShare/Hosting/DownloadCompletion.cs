using P2PShare.Engine;
using P2PShare.Metainfo;

namespace P2PShare.Hosting;

/// <summary>
/// A torrent's data became complete and verified in this run: what a completion summary, a script hook or a
/// library user needs. <paramref name="Elapsed"/> runs from the start of the run (metadata and check included);
/// <paramref name="Downloaded"/> and <paramref name="Uploaded"/> are this run's payload bytes;
/// <paramref name="BySource"/>: verified bytes by where their senders came from.
/// </summary>
public sealed record DownloadCompletion(
    string Name,
    InfoHash InfoHash,
    string ContentPath,
    long TotalLength,
    TimeSpan Elapsed,
    long Downloaded,
    long Uploaded,
    IReadOnlyDictionary<PeerSource, long> BySource)
{
    /// <summary>Average download rate over the run, bytes per second.</summary>
    public double AverageRate => Elapsed <= TimeSpan.Zero ? Downloaded : Downloaded / Elapsed.TotalSeconds;

    /// <summary>Uploaded / size, as clients show a share ratio.</summary>
    public double Ratio => TotalLength == 0 ? 0 : (double)Uploaded / TotalLength;
}
