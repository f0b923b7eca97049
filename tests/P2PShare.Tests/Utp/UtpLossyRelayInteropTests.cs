using System.Diagnostics;
using System.Net;
using System.Runtime.CompilerServices;
using Microsoft.Extensions.Logging.Abstractions;
using P2PShare.Metainfo;
using P2PShare.Networking.Udp;
using P2PShare.Networking.Utp;
using P2PShare.Tests.Interop.Download;
using P2PShare.Tests.Support;

namespace P2PShare.Tests.Utp;

/// <summary>
/// uTP with libtorrent (TCP off) through a relay on loopback that drops 1% of the datagrams and reorders 2%: our CLI
/// downloads through it, and our manager seeds through it (its retransmission count is reported and must be non-zero).
/// </summary>
[TestFixture, Category("Interop")]
public sealed class UtpLossyRelayInteropTests
{
    [Test, CancelAfter(90_000)]
    public async Task CliDownloadsFromAUtpOnlyLibtorrentSeederThroughALossyRelay(CancellationToken ct)
    {
        RequiredTool.EnsureLibtorrent();
        await using var temp = new TempDirectory("p2pshare-utp-relay-");
        var source = TestData.CreateFile(temp.Combine("seed", "lossy.bin"), 4 * 1024 * 1024 + 5, seed: 81);
        var torrent = await P2PShareClient.CreateTorrentAsync(source, temp.Combine("lossy.torrent"), pieceSizeKiB: 64, cancellationToken: ct);
        await using var seeder = await LibtorrentPeer.StartSeedAsync(torrent.TorrentPath, temp.Combine("seed"),
            o => o with { NoTrackers = true, UtpOnly = true, Encryption = "disabled" }, ct);
        await using var relay = new LossyUdpRelay(seeder.EndPoint, lossRate: 0.01, reorderRate: 0.02, seed: 7);

        var output = temp.CreateSubdirectory("out");
        var watch = Stopwatch.StartNew();
        await using var downloader = P2PShareClient.StartDownload(temp.Path, torrent.TorrentPath, output,
            "--peer", relay.EndPoint.ToString(), "--transport", "utp", "--no-seed", "--give-up-after", "60");
        await downloader.WaitForSuccessAsync(TimeSpan.FromSeconds(75), ct);

        DownloadCheck.SameContent(source, output, downloader);
        TestContext.Out.WriteLine($"4 MiB through the lossy relay in {watch.Elapsed.TotalSeconds:0.00} s; {relay}");
        Assert.That(relay.Dropped, Is.GreaterThan(0), "the relay must actually have dropped datagrams");
    }

    [Test, CancelAfter(90_000)]
    public async Task SeedsToAUtpOnlyLibtorrentLeecherThroughALossyRelayAndRetransmits(CancellationToken ct)
    {
        RequiredTool.EnsureLibtorrent();
        await using var work = new TempDirectory();
        var file = TestData.CreateFile(work.Combine("seed", "data.bin"), 4 << 20, seed: 82);
        var created = await LibtorrentTorrent.CreateAsync(file, work.Combine("data.torrent"), 64 * 1024, cancellationToken: ct);
        var torrent = TorrentParser.Parse(await File.ReadAllBytesAsync(created.TorrentPath, ct));
        var data = await File.ReadAllBytesAsync(file, ct);

        var port = UdpPort.Bind(IPAddress.Loopback, 0, NullLogger.Instance);
        await using var _p = port;
        await using var manager = new UtpSocketManager(port);
        port.AddHandler(manager);
        using var stopPort = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var receiving = port.RunAsync(stopPort.Token);
        await using var relay = new LossyUdpRelay(new IPEndPoint(IPAddress.Loopback, port.Port), lossRate: 0.01, reorderRate: 0.02, seed: 8);
        await using var leecher = await LibtorrentPeer.StartAsync(new LibtorrentPeerOptions(created.TorrentPath, work.Combine("leech"))
        {
            Mode = LibtorrentMode.Leech,
            NoTrackers = true,
            UtpOnly = true,
            Encryption = "disabled",
            ConnectTo = [relay.EndPoint],
        }, ct);
        await using var stream = await manager.AcceptAsync(ct);
        using var stopSeeding = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var seeding = StreamPeerWire.SeedAsync(stream, torrent, data, new StrongBox<long>(), stopSeeding.Token);

        await leecher.WaitUntilCompleteAsync(TimeSpan.FromSeconds(60), ct);
        await stopSeeding.CancelAsync();
        try
        {
            await seeding;
        }
        catch (OperationCanceledException)
        {
            // stopped by us once the leecher was complete
        }
        await stopPort.CancelAsync();
        await receiving;

        TestContext.Out.WriteLine($"seeded 4 MiB through the lossy relay; {relay}; ours: {stream.Statistics}");
        Assert.That(TestData.Sha256File(work.Combine("leech", "data.bin")), Is.EqualTo(TestData.Sha256File(file)));
        Assert.That(relay.Dropped, Is.GreaterThan(0), "the relay must actually have dropped datagrams");
        Assert.That(stream.Statistics.Retransmissions, Is.GreaterThan(0), "lost data packets must have been resent");
    }
}
