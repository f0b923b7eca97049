using System.Net;
using P2PShare.Tests.Interop.Download;
using P2PShare.Tests.Support;

namespace P2PShare.Tests.Interop.Magnet;

/// <summary>A magnet's metadata phase and data phase share their connections: the peer that gave the metadata is not dialled again.</summary>
[TestFixture]
[Category("Interop")]
[CancelAfter(120_000)]
public sealed class MagnetConnectionCarryOverTests
{
    [Test]
    public async Task TheConnectionThatGaveTheMetadata_CarriesOnIntoTheDataPhase_TheSeederIsDialledOnce(CancellationToken cancellationToken)
    {
        RequiredTool.EnsureLibtorrent();
        await using var temp = new TempDirectory("p2pshare-magnet-carry-");
        var scenario = await MagnetScenario.CreateAsync(temp, "carry.bin", 6 * 1024 * 1024 + 77, seed: 95, cancellationToken: cancellationToken);
        await using var seeder = await LibtorrentPeer.StartSeedAsync(scenario.Torrent.TorrentPath, scenario.SeedDirectory,
            o => o with { NoTrackers = true }, cancellationToken);
        // Every connection to the seeder goes through the proxy, which counts them.
        await using var proxy = CountingTcpProxy.Start(new IPEndPoint(IPAddress.Loopback, seeder.Port));

        var output = temp.CreateSubdirectory("out");
        await using var downloader = P2PShareClient.StartDownload(temp.Path, scenario.Magnet(peers: $"127.0.0.1:{proxy.EndPoint.Port}"), output,
            "--no-seed", "--give-up-after", "60");
        await downloader.WaitForSuccessAsync(TimeSpan.FromSeconds(90), cancellationToken);

        DownloadCheck.SameContent(scenario.Source, output, downloader);
        var log = downloader.ReadLog();
        Assert.That(log, Does.Contain("Metadata complete"), downloader.Describe());
        Assert.That(log, Does.Contain("1 connections go on into the data phase"), downloader.Describe());
        Assert.That(proxy.Accepted, Is.EqualTo(1), "the seeder was dialled once: the metadata connection downloaded the data too. " + downloader.Describe());
    }
}
