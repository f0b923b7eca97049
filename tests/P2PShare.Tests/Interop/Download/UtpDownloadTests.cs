using System.Diagnostics;
using P2PShare.Tests.Support;

namespace P2PShare.Tests.Interop.Download;

/// <summary>
/// 'p2pshare download' from a libtorrent seeder whose TCP is off (uTP only): a complete, identical copy proves
/// every byte came over our uTP, both with --transport utp and with the default (both: uTP first, TCP fallback).
/// </summary>
[TestFixture]
[Category("Interop")]
[CancelAfter(60_000)]
public sealed class UtpDownloadTests
{
    [TestCase("utp")]
    [TestCase(null)]
    public async Task DownloadsFromAUtpOnlyLibtorrentSeeder(string? transport, CancellationToken cancellationToken)
    {
        RequiredTool.EnsureLibtorrent();
        await using var temp = new TempDirectory("p2pshare-dl-utp-");
        var source = TestData.CreateFile(temp.Combine("seed", "utp.bin"), 8 * 1024 * 1024 - 777, seed: 15);
        var torrent = await P2PShareClient.CreateTorrentAsync(source, temp.Combine("utp.torrent"), pieceSizeKiB: 128,
            cancellationToken: cancellationToken);
        await using var seeder = await LibtorrentPeer.StartSeedAsync(torrent.TorrentPath, temp.Combine("seed"),
            o => o with { NoTrackers = true, UtpOnly = true, Encryption = "disabled" }, cancellationToken);

        var output = temp.CreateSubdirectory("out");
        string[] arguments = ["--peer", $"127.0.0.1:{seeder.Port}", "--no-seed", "--give-up-after", "40"];
        var watch = Stopwatch.StartNew();
        await using var downloader = P2PShareClient.StartDownload(temp.Path, torrent.TorrentPath, output,
            transport is null ? arguments : [.. arguments, "--transport", transport]);
        await downloader.WaitForSuccessAsync(TimeSpan.FromSeconds(45), cancellationToken);
        watch.Stop();

        DownloadCheck.SameContent(source, output, downloader);
        TestContext.Out.WriteLine($"--transport {transport ?? "(default)"}: 8 MiB over uTP from libtorrent in {watch.Elapsed.TotalSeconds:0.00} s " +
            "(process start included)");
    }

    [Test]
    public async Task DownloadsOverMseOnUtpFromALibtorrentSeederThatForcesRc4AndHasNoTcp(CancellationToken cancellationToken)
    {
        // MSE wraps the uTP stream as it wraps TCP: the seeder takes neither plaintext nor TCP.
        RequiredTool.EnsureLibtorrent();
        await using var temp = new TempDirectory("p2pshare-dl-utp-mse-");
        var source = TestData.CreateFile(temp.Combine("seed", "utp-mse.bin"), 2 * 1024 * 1024 + 99, seed: 16);
        var torrent = await P2PShareClient.CreateTorrentAsync(source, temp.Combine("utp-mse.torrent"), pieceSizeKiB: 64,
            cancellationToken: cancellationToken);
        await using var seeder = await LibtorrentPeer.StartSeedAsync(torrent.TorrentPath, temp.Combine("seed"),
            o => o with { NoTrackers = true, UtpOnly = true, Encryption = "forced", EncryptionLevel = "rc4" }, cancellationToken);

        var output = temp.CreateSubdirectory("out");
        await using var downloader = P2PShareClient.StartDownload(temp.Path, torrent.TorrentPath, output,
            "--peer", $"127.0.0.1:{seeder.Port}", "--no-seed", "--give-up-after", "30", "--encryption", "require", "--verbose");
        await downloader.WaitForSuccessAsync(TimeSpan.FromSeconds(40), cancellationToken);

        DownloadCheck.SameContent(source, output, downloader);
        Assert.That(downloader.ReadLog(), Does.Contain($"Connected to 127.0.0.1:{seeder.Port} over utp+rc4"), downloader.Describe());
    }
}
