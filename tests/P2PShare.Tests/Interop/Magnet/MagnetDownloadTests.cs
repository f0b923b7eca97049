using P2PShare.Tests.Interop.Download;
using P2PShare.Tests.Interop.Seeding;
using P2PShare.Tests.Support;

namespace P2PShare.Tests.Interop.Magnet;

/// <summary>Downloads from a magnet link: the metadata comes from a python3-libtorrent seeder (BEP 9), then the data.</summary>
[TestFixture]
[Category("Interop")]
[CancelAfter(120_000)]
public sealed class MagnetDownloadTests
{
    [Test]
    public async Task MagnetWithPeerAddress_FetchesMetadataFromLibtorrent_ThenDownloads(CancellationToken cancellationToken)
    {
        RequiredTool.EnsureLibtorrent();
        await using var temp = new TempDirectory("p2pshare-magnet-xpe-");
        var scenario = await MagnetScenario.CreateAsync(temp, "xpe.bin", 12 * 1024 * 1024 - 999, seed: 91, cancellationToken: cancellationToken);
        await using var seeder = await LibtorrentPeer.StartSeedAsync(scenario.Torrent.TorrentPath, scenario.SeedDirectory,
            o => o with { NoTrackers = true }, cancellationToken);

        var output = temp.CreateSubdirectory("out");
        await using var downloader = P2PShareClient.StartDownload(temp.Path, scenario.Magnet(peers: $"127.0.0.1:{seeder.Port}"), output,
            "--no-seed", "--give-up-after", "60");
        await downloader.WaitForSuccessAsync(TimeSpan.FromSeconds(90), cancellationToken);

        DownloadCheck.SameContent(scenario.Source, output, downloader);
        var log = downloader.ReadLog();
        Assert.That(log, Does.Contain("fetching metadata from peers").And.Contain("Metadata complete").And.Contain("info-hash matches"), downloader.Describe());
        Assert.That(File.Exists(scenario.SavedTorrent(output)), Is.True, "the fetched metadata is saved as a .torrent in the state directory");
        Assert.That(TestData.Sha256File(scenario.SavedTorrent(output)), Is.Not.Empty);
        Assert.That(downloader.Process.StdoutTail, Does.Contain("Metadata received"), downloader.Describe());
    }

    [Test]
    public async Task MagnetWithOnlyATracker_FindsTheLibtorrentSeederThroughOpentracker(CancellationToken cancellationToken)
    {
        RequiredTool.EnsureLibtorrent();
        await using var temp = new TempDirectory("p2pshare-magnet-tracker-");
        await using var tracker = await OpenTrackerInstance.StartAsync(workDirectory: temp.CreateSubdirectory("tracker"), cancellationToken: cancellationToken);
        var scenario = await MagnetScenario.CreateAsync(temp, "tracked.bin", 10 * 1024 * 1024 + 5, seed: 92, [tracker.HttpAnnounceUrl],
            cancellationToken: cancellationToken);
        await tracker.WhitelistAsync(scenario.Torrent.InfoHash, cancellationToken);
        await using var seeder = await LibtorrentPeer.StartSeedAsync(scenario.Torrent.TorrentPath, scenario.SeedDirectory,
            o => o with { Trackers = [tracker.HttpAnnounceUrl] }, cancellationToken);
        // opentracker's interval is ~30 min: the seeder must be listed before our first announce.
        await Eventually.UntilAsync(async () => await tracker.ScrapeCountAsync(scenario.Torrent.InfoHash, "complete", cancellationToken) >= 1,
            TimeSpan.FromSeconds(30), "opentracker to list the libtorrent seeder", () => seeder.Process.Describe(),
            TimeSpan.FromMilliseconds(200), cancellationToken);

        var output = temp.CreateSubdirectory("out");
        var magnet = scenario.Magnet([tracker.HttpAnnounceUrl]);
        Assert.That(magnet, Does.Not.Contain("x.pe"), "the tracker must be the only source of peers");
        await using var downloader = P2PShareClient.StartDownload(temp.Path, magnet, output, "--no-seed", "--give-up-after", "60");
        await downloader.WaitForSuccessAsync(TimeSpan.FromSeconds(90), cancellationToken);

        DownloadCheck.SameContent(scenario.Source, output, downloader);
        Assert.That(downloader.ReadLog(), Does.Contain("Metadata complete"), downloader.Describe());
        // The data must have come from the libtorrent seeder (its status line comes once a second: wait for it).
        await seeder.WaitUntilUploadedAsync(1, TimeSpan.FromSeconds(10), cancellationToken);
    }

    [Test]
    public async Task RestartAfterTheMetadataPhase_UsesTheSavedMetadata_AndResumesTheData(CancellationToken cancellationToken)
    {
        RequiredTool.EnsureLibtorrent();
        await using var temp = new TempDirectory("p2pshare-magnet-restart-");
        var scenario = await MagnetScenario.CreateAsync(temp, "restart.bin", 16 * 1024 * 1024, seed: 93, pieceSizeKiB: 256, cancellationToken: cancellationToken);
        // Slow enough that the first run is stopped midway.
        await using var seeder = await LibtorrentPeer.StartSeedAsync(scenario.Torrent.TorrentPath, scenario.SeedDirectory,
            o => o with { NoTrackers = true, UploadLimit = 1_000_000 }, cancellationToken);
        var output = temp.CreateSubdirectory("out");
        var magnet = scenario.Magnet(peers: $"127.0.0.1:{seeder.Port}");

        await using (var first = P2PShareClient.StartDownload(temp.Path, magnet, output, "--no-seed", "--give-up-after", "60"))
        {
            await Eventually.UntilAsync(() => HasVerifiedPieces(first),
                TimeSpan.FromSeconds(60), "the first run to fetch the metadata and verify some data", first.Describe, cancellationToken: cancellationToken);
            Assert.That(first.HasExited, Is.False, "the first run finished before it could be interrupted. " + first.Describe());
            await first.StopAsync(TimeSpan.FromSeconds(15), cancellationToken);
            Assert.That(first.ReadLog(), Does.Contain("Metadata complete"), first.Describe());
        }
        Assert.That(File.Exists(scenario.SavedTorrent(output)), Is.True, "the metadata was saved in the state directory");

        await seeder.SetUploadLimitAsync(0, cancellationToken);
        await using var second = P2PShareClient.StartDownload(temp.Path, magnet, output, "--no-seed", "--give-up-after", "60");
        await second.WaitForSuccessAsync(TimeSpan.FromSeconds(60), cancellationToken);

        DownloadCheck.SameContent(scenario.Source, output, second);
        var log = second.ReadLog();
        Assert.That(log, Does.Contain("metadata fetched earlier"), second.Describe());
        Assert.That(log, Does.Not.Contain("fetching metadata from peers").And.Not.Contain("Metadata complete"), "the metadata was fetched again. " + second.Describe());
        Assert.That(second.Process.StdoutTail, Does.Match(@"Resuming: [1-9]\d*/64 pieces"), "the data resumed from the first run's verified pieces. " + second.Describe());
    }

    private static bool HasVerifiedPieces(P2PShareClient client) =>
        System.Text.RegularExpressions.Regex.IsMatch(client.Process.StdoutTail, @"Downloading\s+([1-9]\d*\.\d|0\.[1-9])%");
}
