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

    [Test, CancelAfter(90_000)]
    public async Task TransmissionWithUtpIsDialledOverUtpAndDownloadsEverything(CancellationToken cancellationToken)
    {
        RequiredTool.Ensure("transmission-daemon");
        await using var scenario = await SeedScenario.CreateAsync("trutp", 4 * 1024 * 1024 + 7, seed: 57, pieceSizeKiB: 128,
            cancellationToken: cancellationToken);
        await using var transmission = await TransmissionDaemon.StartAsync(scenario.Temp.Path, cancellationToken: cancellationToken, utp: true);
        var output = scenario.Temp.CreateSubdirectory("tr-out");
        await transmission.AddTorrentAsync(scenario.Torrent.TorrentPath, output, cancellationToken);

        // Transmission never dials 127.x peers: our seeder dials it, and with --transport utp only over uTP.
        var (seeder, _) = await scenario.StartSeederAsync(cancellationToken, "--transport", "utp", "--peer", $"127.0.0.1:{transmission.PeerPort}");
        await using var _s = seeder;
        await transmission.WaitForStatusAsync(scenario.Torrent.InfoHash, s => s.IsComplete, TimeSpan.FromSeconds(70),
            "transmission to download everything from our seeder over uTP", cancellationToken);

        scenario.AssertSameContent(output, "transmission", () => transmission.Process.Describe() + Environment.NewLine + seeder.Describe());
    }
}
