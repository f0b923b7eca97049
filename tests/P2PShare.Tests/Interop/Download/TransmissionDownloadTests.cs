using P2PShare.Tests.Support;

namespace P2PShare.Tests.Interop.Download;

/// <summary>
/// Our client downloads from a transmission-daemon seeder. Transmission never dials loopback peers, so we
/// dial it with --peer; it may reset the first connection right after it starts seeding, and our client
/// must dial again.
/// </summary>
[TestFixture]
[Category("Interop")]
[CancelAfter(90_000)]
public sealed class TransmissionDownloadTests
{
    [Test]
    public async Task DownloadsFromTransmissionSeeder(CancellationToken cancellationToken)
    {
        await using var temp = new TempDirectory("p2pshare-dl-transmission-");
        var source = TestData.CreateFile(temp.Combine("seed", "transmission.bin"), 8 * 1024 * 1024 + 5, seed: 33);
        var torrent = await P2PShareClient.CreateTorrentAsync(source, temp.Combine("transmission.torrent"), pieceSizeKiB: 128,
            cancellationToken: cancellationToken);
        await using var seeder = await TransmissionSeeder.StartAsync(torrent.TorrentPath, torrent.InfoHash, temp.Combine("seed"), temp.Path,
            cancellationToken);

        var output = temp.CreateSubdirectory("out");
        await using var downloader = P2PShareClient.StartDownload(temp.Path, torrent.TorrentPath, output,
            "--peer", $"127.0.0.1:{seeder.PeerPort}", "--no-seed", "--give-up-after", "60");
        await downloader.WaitForSuccessAsync(TimeSpan.FromSeconds(75), cancellationToken);

        DownloadCheck.SameContent(source, output, downloader);
        Assert.That(await seeder.UploadedAsync(torrent.InfoHash, cancellationToken), Is.GreaterThanOrEqualTo(new FileInfo(source).Length),
            "transmission must have uploaded the whole content");
    }

    [Test]
    public async Task DownloadsFromTransmissionSeederOverUtpOnly(CancellationToken cancellationToken)
    {
        RequiredTool.Ensure("transmission-daemon");
        await using var temp = new TempDirectory("p2pshare-dl-transmission-utp-");
        var source = TestData.CreateFile(temp.Combine("seed", "transmission-utp.bin"), 4 * 1024 * 1024 + 3, seed: 34);
        var torrent = await P2PShareClient.CreateTorrentAsync(source, temp.Combine("transmission-utp.torrent"), pieceSizeKiB: 128,
            cancellationToken: cancellationToken);
        await using var seeder = await TransmissionSeeder.StartAsync(torrent.TorrentPath, torrent.InfoHash, temp.Combine("seed"), temp.Path,
            cancellationToken, utp: true);

        // --transport utp: every dial goes to Transmission's UDP port; a TCP connection is never opened.
        var output = temp.CreateSubdirectory("out");
        var clock = System.Diagnostics.Stopwatch.StartNew();
        await using var downloader = P2PShareClient.StartDownload(temp.Path, torrent.TorrentPath, output,
            "--peer", $"127.0.0.1:{seeder.PeerPort}", "--transport", "utp", "--no-seed", "--give-up-after", "60");
        await downloader.WaitForSuccessAsync(TimeSpan.FromSeconds(75), cancellationToken);
        TestContext.Out.WriteLine($"4 MiB from Transmission over uTP: {clock.Elapsed.TotalSeconds:F1} s including start-up");

        DownloadCheck.SameContent(source, output, downloader);
        Assert.That(await seeder.UploadedAsync(torrent.InfoHash, cancellationToken), Is.GreaterThanOrEqualTo(new FileInfo(source).Length),
            "transmission must have uploaded the whole content");
    }
}
