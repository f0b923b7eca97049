using P2PShare.Tests.Support;

namespace P2PShare.Tests.Interop.Download;

/// <summary>Our client downloads from an aria2c seeder it dials with --peer.</summary>
[TestFixture]
[Category("Interop")]
[CancelAfter(90_000)]
public sealed class Aria2DownloadTests
{
    [Test]
    public async Task DownloadsFromAria2Seeder(CancellationToken cancellationToken)
    {
        await using var temp = new TempDirectory("p2pshare-dl-aria2-");
        var source = TestData.CreateFile(temp.Combine("seed", "aria2.bin"), 16 * 1024 * 1024 + 99, seed: 22);
        var torrent = await P2PShareClient.CreateTorrentAsync(source, temp.Combine("aria2.torrent"), pieceSizeKiB: 128,
            cancellationToken: cancellationToken);
        await using var seeder = await Aria2Seeder.StartAsync(torrent.TorrentPath, temp.Combine("seed"), cancellationToken);

        var output = temp.CreateSubdirectory("out");
        await using var downloader = P2PShareClient.StartDownload(temp.Path, torrent.TorrentPath, output,
            "--peer", $"127.0.0.1:{seeder.Port}", "--no-seed", "--give-up-after", "60");
        await downloader.WaitForSuccessAsync(TimeSpan.FromSeconds(60), cancellationToken);

        DownloadCheck.SameContent(source, output, downloader);
        Assert.That((await seeder.GetStatusAsync(cancellationToken)).UploadLength, Is.GreaterThanOrEqualTo(new FileInfo(source).Length),
            "aria2 must have uploaded the whole content");
    }
}
