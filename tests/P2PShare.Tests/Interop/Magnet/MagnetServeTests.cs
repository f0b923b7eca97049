using P2PShare.Tests.Support;

namespace P2PShare.Tests.Interop.Magnet;

/// <summary>P2PShare serves metadata (BEP 9): a libtorrent leecher given only a magnet link and our address completes.</summary>
[TestFixture]
[Category("Interop")]
[CancelAfter(120_000)]
public sealed class MagnetServeTests
{
    [Test]
    public async Task LibtorrentLeecherWithAMagnet_GetsTheMetadataAndTheDataFromOurSeeder(CancellationToken cancellationToken)
    {
        RequiredTool.EnsureLibtorrent();
        await using var temp = new TempDirectory("p2pshare-magnet-serve-");
        // Over 16 KiB of info dictionary: the metadata takes several ut_metadata pieces (the last one short).
        var scenario = await MagnetScenario.CreateAsync(temp, "served.bin", 40L * 1024 * 1024 + 321, seed: 94, pieceSizeKiB: 16, cancellationToken: cancellationToken);
        var infoLength = (await P2PShare.Metainfo.TorrentParser.LoadAsync(scenario.Torrent.TorrentPath, cancellationToken)).InfoBytes.Length;
        Assert.That(infoLength, Is.GreaterThan(2 * 16 * 1024), "the test wants metadata of several pieces");

        await using var seed = P2PShareClient.StartSeed(temp.Path, scenario.Torrent.TorrentPath, scenario.SeedDirectory);
        var port = await seed.WaitUntilListeningAsync(TimeSpan.FromSeconds(60), cancellationToken);

        var leechDirectory = temp.CreateSubdirectory("leech");
        await using var leecher = await LibtorrentPeer.StartAsync(new LibtorrentPeerOptions("", leechDirectory)
        {
            Magnet = scenario.Magnet(peers: $"127.0.0.1:{port}"),
            Mode = LibtorrentMode.Leech,
            NoTrackers = true,
        }, cancellationToken);
        await leecher.Process.WaitForJsonLineAsync(j => j.TryGetProperty("event", out var e) && e.GetString() == "metadata",
            TimeSpan.FromSeconds(30), "libtorrent to receive the metadata from P2PShare", cancellationToken);
        var done = await leecher.WaitForExitAsync(TimeSpan.FromSeconds(90), cancellationToken);

        Assert.That(done.Progress, Is.EqualTo(1.0), leecher.Process.Describe());
        Assert.That(TestData.Sha256File(Path.Combine(leechDirectory, "served.bin")), Is.EqualTo(TestData.Sha256File(scenario.Source)));
    }
}
