using P2PShare.Tests.Support;

namespace P2PShare.Tests.Interop.Seeding;

/// <summary>
/// 'p2pshare seed' serves a libtorrent leecher whose TCP is off: it can only dial our UDP port (same number as our
/// TCP port), so a complete copy proves the engine accepted uTP and routed the handshake to the torrent.
/// </summary>
[TestFixture]
[Category("Interop")]
[CancelAfter(60_000)]
public sealed class UtpSeedTests
{
    [Test]
    public async Task UtpOnlyLibtorrentLeecherDialsUsAndDownloadsEverything(CancellationToken cancellationToken)
    {
        RequiredTool.EnsureLibtorrent();
        await using var scenario = await SeedScenario.CreateAsync("utp", 6 * 1024 * 1024 + 13, seed: 56, pieceSizeKiB: 128,
            cancellationToken: cancellationToken);
        var (seeder, port) = await scenario.StartSeederAsync(cancellationToken);
        await using var _s = seeder;

        var output = scenario.Temp.CreateSubdirectory("lt-out");
        await using var leecher = await LibtorrentPeer.StartAsync(new LibtorrentPeerOptions(scenario.Torrent.TorrentPath, output)
        {
            Mode = LibtorrentMode.Leech,
            NoTrackers = true,
            UtpOnly = true,
            Encryption = "disabled",
            ConnectTo = [SeedScenario.Loopback(port)],
        }, cancellationToken);
        var done = await leecher.WaitForExitAsync(TimeSpan.FromSeconds(40), cancellationToken);

        Assert.That(done.TotalPayloadDownload, Is.GreaterThanOrEqualTo(scenario.Size), "libtorrent must have downloaded everything from us");
        scenario.AssertSameContent(output, "libtorrent", () => leecher.Process.Describe() + Environment.NewLine + seeder.Describe());
    }
}
