using P2PShare.Tests.Support;

namespace P2PShare.Tests.Interop.Seeding;

/// <summary>Two separate p2pshare processes: one seeds, the other downloads from it.</summary>
[TestFixture]
[Category("Interop")]
[CancelAfter(90_000)]
public sealed class SeedToP2PShareTests
{
    [Test]
    public async Task OurDownloaderGetsEverythingFromOurSeeder(CancellationToken cancellationToken)
    {
        await using var scenario = await SeedScenario.CreateAsync("self", 12 * 1024 * 1024 + 4321, seed: 61, pieceSizeKiB: 256,
            cancellationToken: cancellationToken);
        var (seeder, port) = await scenario.StartSeederAsync(cancellationToken);
        await using var _s = seeder;

        var output = scenario.Temp.CreateSubdirectory("self-out");
        await using var downloader = P2PShareClient.StartDownload(scenario.Temp.Path, scenario.Torrent.TorrentPath, output,
            "--peer", $"127.0.0.1:{port}", "--no-seed", "--give-up-after", "60");
        await downloader.WaitForSuccessAsync(TimeSpan.FromSeconds(60), cancellationToken);

        scenario.AssertSameContent(output, "our downloader", () => downloader.Describe() + Environment.NewLine + seeder.Describe());
        Assert.That(seeder.HasExited, Is.False, () => $"the seeder must keep seeding.{Environment.NewLine}{seeder.Describe()}");
    }
}
