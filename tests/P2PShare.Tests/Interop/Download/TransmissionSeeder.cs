using P2PShare.Tests.Support;

namespace P2PShare.Tests.Interop.Download;

/// <summary>
/// A <see cref="TransmissionDaemon"/> seeding one torrent from <c>dataDirectory</c>, returned once it has checked
/// the data and seeds. It never dials loopback peers: the downloader must dial its peer port.
/// </summary>
internal static class TransmissionSeeder
{
    public static async Task<TransmissionDaemon> StartAsync(string torrentPath, string infoHash, string dataDirectory, string workDirectory,
        CancellationToken cancellationToken, bool utp = false)
    {
        var daemon = await TransmissionDaemon.StartAsync(workDirectory, cancellationToken: cancellationToken, utp: utp);
        try
        {
            await daemon.AddTorrentAsync(torrentPath, dataDirectory, cancellationToken);
            await daemon.WaitForStatusAsync(infoHash, s => s.IsSeeding && s.IsComplete, TimeSpan.FromSeconds(30),
                "transmission to check the data and seed", cancellationToken);
            return daemon;
        }
        catch
        {
            await daemon.DisposeAsync();
            throw;
        }
    }

    /// <summary>Payload bytes transmission uploaded for the torrent (uploadedEver).</summary>
    public static async Task<long> UploadedAsync(this TransmissionDaemon daemon, string infoHash, CancellationToken cancellationToken) =>
        (await daemon.GetStatusAsync(infoHash, cancellationToken))?.UploadedEver ?? -1;
}
