using P2PShare.Tests.Support;

namespace P2PShare.Tests.Interop.Seeding;

/// <summary>
/// Our 'seed' serves a torrent made by our 'create' to real clients on 127.0.0.1, each of which must end
/// with a byte-identical copy. Libtorrent and aria2 find us through opentracker; transmission never dials
/// loopback peers, so our seeder dials it (--peer); qBittorrent is told about us with torrents/addPeers.
/// </summary>
[TestFixture]
[Category("Interop")]
[CancelAfter(90_000)]
public sealed class SeedToRealClientsTests
{
    [Test]
    public async Task LibtorrentLeecherFindsUsThroughOpentrackerAndDownloadsEverything(CancellationToken cancellationToken)
    {
        RequiredTool.EnsureLibtorrent();
        await using var trackerDirectory = new TempDirectory("p2pshare-seed-tracker-");
        await using var tracker = await OpenTrackerInstance.StartAsync(workDirectory: trackerDirectory.Path, cancellationToken: cancellationToken);
        await using var scenario = await SeedScenario.CreateAsync("lt", 10 * 1024 * 1024 + 321, seed: 51, pieceSizeKiB: 256,
            [tracker.HttpAnnounceUrl], cancellationToken);
        await tracker.WhitelistAsync(scenario.Torrent.InfoHash, cancellationToken);

        var (seeder, _) = await scenario.StartSeederAsync(cancellationToken);
        await using var _s = seeder;
        // opentracker hands out peers only at announce time: our seeder must be listed before the leecher asks.
        await Eventually.UntilAsync(async () => await tracker.ScrapeCountAsync(scenario.Torrent.InfoHash, "complete", cancellationToken) >= 1,
            TimeSpan.FromSeconds(20), "opentracker to list our seeder", seeder.Describe, TimeSpan.FromMilliseconds(200), cancellationToken);

        var output = scenario.Temp.CreateSubdirectory("lt-out");
        await using var leecher = await LibtorrentPeer.StartAsync(new LibtorrentPeerOptions(scenario.Torrent.TorrentPath, output)
        {
            Mode = LibtorrentMode.Leech,
            Trackers = [tracker.HttpAnnounceUrl],
        }, cancellationToken);
        var done = await leecher.WaitForExitAsync(TimeSpan.FromSeconds(45), cancellationToken);

        Assert.That(done.TotalPayloadDownload, Is.GreaterThanOrEqualTo(scenario.Size), "libtorrent must have downloaded everything from us");
        scenario.AssertSameContent(output, "libtorrent", () => leecher.Process.Describe() + Environment.NewLine + seeder.Describe());
        Assert.That(seeder.HasExited, Is.False, () => $"our seeder must keep seeding.{Environment.NewLine}{seeder.Describe()}");
    }

    [Test]
    public async Task TransmissionLeecherIsDialledByOurSeederAndDownloadsEverything(CancellationToken cancellationToken)
    {
        RequiredTool.Ensure("transmission-daemon");
        await using var scenario = await SeedScenario.CreateAsync("tr", 6 * 1024 * 1024 + 99, seed: 52, pieceSizeKiB: 128,
            cancellationToken: cancellationToken);
        await using var transmission = await TransmissionDaemon.StartAsync(scenario.Temp.Path, cancellationToken: cancellationToken);
        var output = scenario.Temp.CreateSubdirectory("tr-out");
        await transmission.AddTorrentAsync(scenario.Torrent.TorrentPath, output, cancellationToken);

        // Transmission never dials 127.x peers: our seeder, already complete, must dial it.
        var (seeder, _) = await scenario.StartSeederAsync(cancellationToken, "--peer", $"127.0.0.1:{transmission.PeerPort}");
        await using var _s = seeder;
        await transmission.WaitForStatusAsync(scenario.Torrent.InfoHash, s => s.IsComplete, TimeSpan.FromSeconds(70),
            "transmission to download everything from our seeder", cancellationToken);

        scenario.AssertSameContent(output, "transmission", () => transmission.Process.Describe() + Environment.NewLine + seeder.Describe());
    }

    [Test]
    public async Task Aria2LeecherFindsUsThroughOpentrackerAndDownloadsEverything(CancellationToken cancellationToken)
    {
        RequiredTool.Ensure("aria2c");
        await using var trackerDirectory = new TempDirectory("p2pshare-seed-tracker-");
        await using var tracker = await OpenTrackerInstance.StartAsync(workDirectory: trackerDirectory.Path, cancellationToken: cancellationToken);
        await using var scenario = await SeedScenario.CreateAsync("aria2", 8 * 1024 * 1024 + 5, seed: 53, pieceSizeKiB: 256,
            [tracker.HttpAnnounceUrl], cancellationToken);
        await tracker.WhitelistAsync(scenario.Torrent.InfoHash, cancellationToken);

        var (seeder, _) = await scenario.StartSeederAsync(cancellationToken, "--verbose");
        await using var _s = seeder;
        await Eventually.UntilAsync(async () => await tracker.ScrapeCountAsync(scenario.Torrent.InfoHash, "complete", cancellationToken) >= 1,
            TimeSpan.FromSeconds(20), "opentracker to list our seeder", seeder.Describe, TimeSpan.FromMilliseconds(200), cancellationToken);

        var output = scenario.Temp.CreateSubdirectory("aria2-out");
        await using var leecher = await Aria2Peer.StartAsync(new Aria2PeerOptions(scenario.Torrent.TorrentPath, output), cancellationToken);
        await Eventually.ValueAsync(() => leecher.GetStatusAsync(cancellationToken), s => s.IsComplete, TimeSpan.FromSeconds(60),
            "aria2 to download everything from our seeder", () => leecher.Process.Describe() + Environment.NewLine + seeder.Describe(),
            TimeSpan.FromMilliseconds(250), cancellationToken);
        await leecher.ShutdownAsync(cancellationToken);

        scenario.AssertSameContent(output, "aria2", () => leecher.Process.Describe() + Environment.NewLine + seeder.Describe());
    }

    [Test]
    public async Task QbittorrentLeecherToldAboutUsWithAddPeersDownloadsEverything(CancellationToken cancellationToken)
    {
        RequiredTool.Ensure("qbittorrent-nox");
        await using var scenario = await SeedScenario.CreateAsync("qbt", 8 * 1024 * 1024 + 17, seed: 54, pieceSizeKiB: 256,
            cancellationToken: cancellationToken);
        var (seeder, port) = await scenario.StartSeederAsync(cancellationToken);
        await using var _s = seeder;

        await using var qbittorrent = await QbittorrentPeer.StartAsync(scenario.Temp.Path, cancellationToken);
        var output = scenario.Temp.CreateSubdirectory("qbt-out");
        await qbittorrent.AddTorrentAsync(scenario.Torrent.TorrentPath, output, scenario.Torrent.InfoHash, cancellationToken: cancellationToken);
        await qbittorrent.AddPeersAsync(scenario.Torrent.InfoHash, [SeedScenario.Loopback(port)], cancellationToken);
        await qbittorrent.WaitForInfoAsync(scenario.Torrent.InfoHash, i => i.IsComplete, TimeSpan.FromSeconds(60),
            "qBittorrent to download everything from our seeder", cancellationToken);

        scenario.AssertSameContent(output, "qBittorrent", () => qbittorrent.Process.Describe() + Environment.NewLine + seeder.Describe());
    }
}
