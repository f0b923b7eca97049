using System.Text;
using System.Text.RegularExpressions;
using P2PShare.Tests.Support;

namespace P2PShare.Tests.Interop.Download;

/// <summary>Our client finds a python3-libtorrent seeder only through opentracker (HTTP, then UDP) and downloads from it.</summary>
[TestFixture]
[Category("Interop")]
[CancelAfter(90_000)]
public sealed class TrackerDownloadTests
{
    [TestCase("http")]
    [TestCase("udp")]
    public async Task DownloadsFromLibtorrentSeederFoundThroughOpentracker(string scheme, CancellationToken cancellationToken)
    {
        RequiredTool.EnsureLibtorrent();
        await using var temp = new TempDirectory($"p2pshare-dl-{scheme}tracker-");
        await using var tracker = await OpenTrackerInstance.StartAsync(workDirectory: temp.CreateSubdirectory("tracker"), cancellationToken: cancellationToken);
        var announce = scheme == "udp" ? tracker.UdpAnnounceUrl : tracker.HttpAnnounceUrl;

        var source = TestData.CreateFile(temp.Combine("seed", $"{scheme}.bin"), 12 * 1024 * 1024 + 777, seed: scheme.Length);
        var torrent = await P2PShareClient.CreateTorrentAsync(source, temp.Combine($"{scheme}.torrent"), [announce], pieceSizeKiB: 256,
            cancellationToken: cancellationToken);
        await tracker.WhitelistAsync(torrent.InfoHash, cancellationToken);

        // The seeder announces over HTTP either way; the downloader only has the URL of the scheme under test.
        await using var seeder = await LibtorrentPeer.StartSeedAsync(torrent.TorrentPath, temp.Combine("seed"),
            o => o with { Trackers = [tracker.HttpAnnounceUrl] }, cancellationToken);
        // opentracker's interval is ~30 min: the seeder must be registered before our single first announce.
        await Eventually.UntilAsync(async () => await tracker.ScrapeCountAsync(torrent.InfoHash, "complete", cancellationToken) >= 1,
            TimeSpan.FromSeconds(30), "opentracker to list the libtorrent seeder", () => seeder.Process.Describe(),
            TimeSpan.FromMilliseconds(200), cancellationToken);

        Assert.That(await tracker.ScrapeCountAsync(torrent.InfoHash, "downloaded", cancellationToken), Is.Zero,
            "nobody has completed a download yet");

        var output = temp.CreateSubdirectory("out");
        await using var downloader = P2PShareClient.StartDownload(temp.Path, torrent.TorrentPath, output, "--no-seed", "--give-up-after", "60");
        await downloader.WaitForSuccessAsync(TimeSpan.FromSeconds(60), cancellationToken);

        DownloadCheck.SameContent(source, output, downloader);
        // The data must have come from the libtorrent seeder (its status line comes once a second: wait for it).
        await seeder.WaitUntilUploadedAsync(1, TimeSpan.FromSeconds(10), cancellationToken);
        // The completed announce went to the only tracker the torrent has (the scheme under test):
        // opentracker counts it in the scrape's 'downloaded'.
        await Eventually.UntilAsync(async () => await tracker.ScrapeCountAsync(torrent.InfoHash, "downloaded", cancellationToken) >= 1,
            TimeSpan.FromSeconds(10), $"opentracker to count our completed announce over {scheme}", downloader.Describe,
            TimeSpan.FromMilliseconds(200), cancellationToken);
    }

}
