using P2PShare.Tests.Support;

namespace P2PShare.Tests.Interop.Download;

/// <summary>
/// One multi-file torrent downloaded from libtorrent, aria2 and transmission at once, each with the full
/// data. The two fast seeders are throttled so the download lasts long enough for transmission (slow to
/// unchoke and to ramp up) to serve its share too: every seeder must have uploaded something.
/// </summary>
[TestFixture]
[Category("Interop")]
[CancelAfter(90_000)]
public sealed class MultiSeederDownloadTests
{
    private const int ThrottledUploadBytesPerSecond = 256 * 1024;

    private static readonly (string, long)[] Files =
    [
        ("a.bin", 5 * 1024 * 1024 + 1),
        ("sub/b.bin", 3 * 1024 * 1024 - 17),
        ("sub/deeper/c.bin", 4 * 1024 * 1024 + 4096),
        ("tiny.txt", 1),
        ("z-last.bin", 100_003),
    ];

    [Test]
    public async Task DownloadsMultiFileTorrentFromLibtorrentAria2AndTransmissionAtOnce(CancellationToken cancellationToken)
    {
        RequiredTool.EnsureLibtorrent();
        RequiredTool.Ensure("aria2c", "transmission-daemon");
        await using var temp = new TempDirectory("p2pshare-dl-multi-");
        // Each seeder gets its own copy, so none can disturb another's files.
        var original = TestData.CreateTree(temp.Combine("lt", "multi"), Files, seed: 4242);
        TestData.CreateTree(temp.Combine("aria2", "multi"), Files, seed: 4242);
        TestData.CreateTree(temp.Combine("tr", "multi"), Files, seed: 4242);
        var torrent = await P2PShareClient.CreateTorrentAsync(original, temp.Combine("multi.torrent"), pieceSizeKiB: 64,
            cancellationToken: cancellationToken);

        await using var libtorrent = await LibtorrentPeer.StartSeedAsync(torrent.TorrentPath, temp.Combine("lt"),
            o => o with { NoTrackers = true, UploadLimit = ThrottledUploadBytesPerSecond }, cancellationToken);
        await using var aria2 = await Aria2Seeder.StartAsync(torrent.TorrentPath, temp.Combine("aria2"), cancellationToken,
            ThrottledUploadBytesPerSecond);
        await using var transmission = await TransmissionSeeder.StartAsync(torrent.TorrentPath, torrent.InfoHash, temp.Combine("tr"),
            temp.Path, cancellationToken);

        var output = temp.CreateSubdirectory("out");
        await using var downloader = P2PShareClient.StartDownload(temp.Path, torrent.TorrentPath, output,
            "--peer", $"127.0.0.1:{libtorrent.Port}", "--peer", $"127.0.0.1:{aria2.Port}", "--peer", $"127.0.0.1:{transmission.PeerPort}",
            "--no-seed", "--give-up-after", "60");
        await downloader.WaitForSuccessAsync(TimeSpan.FromSeconds(70), cancellationToken);

        DownloadCheck.SameContent(original, output, downloader);
        // libtorrent reports once a second: wait for a status line that shows its upload.
        var fromLibtorrent = (await libtorrent.WaitUntilUploadedAsync(1, TimeSpan.FromSeconds(10), cancellationToken)).TotalPayloadUpload;
        var fromAria2 = (await aria2.GetStatusAsync(cancellationToken)).UploadLength;
        var fromTransmission = await transmission.UploadedAsync(torrent.InfoHash, cancellationToken);
        TestContext.Progress.WriteLine($"uploaded: libtorrent {fromLibtorrent}, aria2 {fromAria2}, transmission {fromTransmission}");
        Assert.Multiple(() =>
        {
            Assert.That(fromLibtorrent, Is.GreaterThan(0), "libtorrent uploaded nothing");
            Assert.That(fromAria2, Is.GreaterThan(0), "aria2 uploaded nothing");
            Assert.That(fromTransmission, Is.GreaterThan(0), "transmission uploaded nothing");
        });
    }
}
