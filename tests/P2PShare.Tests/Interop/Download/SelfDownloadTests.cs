using P2PShare.Tests.Support;

namespace P2PShare.Tests.Interop.Download;

/// <summary>Two separate p2pshare processes: one seeds, the other downloads from it with --peer.</summary>
[TestFixture]
[Category("Interop")]
[CancelAfter(90_000)]
public sealed class SelfDownloadTests
{
    [Test]
    public async Task DownloadsFromAnotherP2PShareProcess(CancellationToken cancellationToken)
    {
        await using var temp = new TempDirectory("p2pshare-dl-self-");
        var source = TestData.CreateFile(temp.Combine("seed", "self.bin"), 6 * 1024 * 1024 + 12345, seed: 101);
        var torrent = await P2PShareClient.CreateTorrentAsync(source, temp.Combine("self.torrent"), pieceSizeKiB: 256,
            cancellationToken: cancellationToken);

        await using var seeder = P2PShareClient.StartSeed(temp.Path, torrent.TorrentPath, temp.Combine("seed"));
        var seederPort = await seeder.WaitUntilListeningAsync(TimeSpan.FromSeconds(30), cancellationToken);

        var output = temp.CreateSubdirectory("out");
        await using var downloader = P2PShareClient.StartDownload(temp.Path, torrent.TorrentPath, output,
            "--peer", $"127.0.0.1:{seederPort}", "--no-seed", "--give-up-after", "60");
        await downloader.WaitForSuccessAsync(TimeSpan.FromSeconds(60), cancellationToken);

        Assert.That(TestData.Sha256File(Path.Combine(output, "self.bin")), Is.EqualTo(TestData.Sha256File(source)),
            () => downloader.Describe());
    }
}
