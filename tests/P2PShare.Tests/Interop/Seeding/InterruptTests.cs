using System.Globalization;
using P2PShare.Tests.Support;

namespace P2PShare.Tests.Interop.Seeding;

/// <summary>
/// Ctrl+C (SIGINT to the process) stops 'seed' and 'download' promptly with exit code 0, and the
/// client tells the tracker it stopped: opentracker's scrape no longer counts it.
/// </summary>
[TestFixture]
[Category("Interop")]
[CancelAfter(90_000)]
public sealed class InterruptTests
{
    private const int SigInt = 2;
    private static readonly TimeSpan Prompt = TimeSpan.FromSeconds(5);

    [Test]
    public async Task SigintStopsSeedWithExitZeroAndAnnouncesStopped(CancellationToken cancellationToken)
    {
        await using var trackerDirectory = new TempDirectory("p2pshare-seed-tracker-");
        await using var tracker = await OpenTrackerInstance.StartAsync(workDirectory: trackerDirectory.Path, cancellationToken: cancellationToken);
        await using var scenario = await SeedScenario.CreateAsync("sigint-seed", 2 * 1024 * 1024 + 3, seed: 91, pieceSizeKiB: 64,
            [tracker.HttpAnnounceUrl], cancellationToken);
        await tracker.WhitelistAsync(scenario.Torrent.InfoHash, cancellationToken);
        var (seeder, _) = await scenario.StartSeederAsync(cancellationToken);
        await using var _s = seeder;
        await Eventually.UntilAsync(async () => await tracker.ScrapeCountAsync(scenario.Torrent.InfoHash, "complete", cancellationToken) == 1,
            TimeSpan.FromSeconds(20), "opentracker to count our seeder", seeder.Describe, TimeSpan.FromMilliseconds(200), cancellationToken);

        await InterruptAndExpectCleanExitAsync(seeder, cancellationToken);

        await Eventually.UntilAsync(async () => await tracker.ScrapeCountAsync(scenario.Torrent.InfoHash, "complete", cancellationToken) == 0,
            TimeSpan.FromSeconds(5), "opentracker to forget our seeder (event=stopped)", seeder.Describe, TimeSpan.FromMilliseconds(200), cancellationToken);
    }

    [Test]
    public async Task SigintStopsDownloadMidwayWithExitZeroAndAnnouncesStopped(CancellationToken cancellationToken)
    {
        RequiredTool.EnsureLibtorrent();
        await using var trackerDirectory = new TempDirectory("p2pshare-seed-tracker-");
        await using var tracker = await OpenTrackerInstance.StartAsync(workDirectory: trackerDirectory.Path, cancellationToken: cancellationToken);
        await using var scenario = await SeedScenario.CreateAsync("sigint-dl", 8 * 1024 * 1024 + 3, seed: 92, pieceSizeKiB: 64,
            [tracker.HttpAnnounceUrl], cancellationToken);
        await tracker.WhitelistAsync(scenario.Torrent.InfoHash, cancellationToken);
        // A slow seeder (200 kB/s) keeps our download in progress when the signal comes.
        await using var seeder = await LibtorrentPeer.StartSeedAsync(scenario.Torrent.TorrentPath, scenario.SeedDirectory,
            o => o with { NoTrackers = true, UploadLimit = 200_000 }, cancellationToken);

        var output = scenario.Temp.CreateSubdirectory("out");
        await using var downloader = P2PShareClient.StartDownload(scenario.Temp.Path, scenario.Torrent.TorrentPath, output,
            "--peer", $"127.0.0.1:{seeder.Port}");
        await Eventually.UntilAsync(async () => await tracker.ScrapeCountAsync(scenario.Torrent.InfoHash, "incomplete", cancellationToken) == 1,
            TimeSpan.FromSeconds(20), "opentracker to count our downloader", downloader.Describe, TimeSpan.FromMilliseconds(200), cancellationToken);
        await seeder.WaitUntilUploadedAsync(64 * 1024, TimeSpan.FromSeconds(20), cancellationToken);

        // Stopped before complete: exit code 3 (interrupted), with the clean stop all the same.
        await InterruptAndExpectCleanExitAsync(downloader, cancellationToken, expectedExit: 3);

        Assert.That(seeder.LatestStatus?.TotalPayloadUpload ?? 0, Is.LessThan(scenario.Size), "the download must have been stopped midway");
        await Eventually.UntilAsync(async () => await tracker.ScrapeCountAsync(scenario.Torrent.InfoHash, "incomplete", cancellationToken) == 0,
            TimeSpan.FromSeconds(5), "opentracker to forget our downloader (event=stopped)", downloader.Describe, TimeSpan.FromMilliseconds(200),
            cancellationToken);
    }

    private static async Task InterruptAndExpectCleanExitAsync(P2PShareClient client, CancellationToken cancellationToken, int expectedExit = 0)
    {
        if (client.Process.IgnoresSignal(SigInt))
        {
            // Inherited from how the test host was started (e.g. a background job of a non-interactive shell):
            // POSIX keeps an ignored SIGINT ignored across exec, so a Ctrl+C test cannot run here.
            var reason = "SIGINT is ignored by the test host's environment (inherited SIG_IGN), so Ctrl+C cannot be tested here";
            if (RequiredTool.IsCi)
                Assert.Fail(reason);
            Assert.Ignore(reason);
        }
        var clock = System.Diagnostics.Stopwatch.StartNew();
        client.Process.Signal(SigInt);
        int exit;
        try
        {
            exit = await client.WaitForExitAsync(Prompt, cancellationToken);
        }
        catch (TimeoutException error)
        {
            Assert.Fail($"no exit within {Prompt.TotalSeconds} s of SIGINT: {error.Message}");
            return;
        }
        Assert.That(exit, Is.EqualTo(expectedExit), () => $"Ctrl+C must exit {expectedExit} (took {clock.Elapsed.TotalSeconds:0.0} s).{Environment.NewLine}{client.Describe()}");
        TestContext.Progress.WriteLine($"{client.Process.Name} exited {clock.Elapsed.TotalSeconds:0.00} s after SIGINT");
    }
}
