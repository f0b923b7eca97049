using System.Net;
using P2PShare.Tests.Interop.Download;
using P2PShare.Tests.Support;

namespace P2PShare.Tests.Interop.Dht;

/// <summary>
/// The whole client with libtorrent's DHT on loopback (real-clients-on-loopback.md's topology: a bare bootstrap node B,
/// libtorrent peers joining through B, our client given only --dht-bootstrap B): peers found through the DHT alone.
/// </summary>
[TestFixture, Category("Interop"), CancelAfter(90_000)]
public sealed class DhtClientInteropTests
{
    [Test]
    public async Task A_trackerless_magnet_is_found_through_the_dht_alone_and_downloaded(CancellationToken ct)
    {
        RequiredTool.EnsureLibtorrent();
        await using var work = new TempDirectory("p2pshare-dht-magnet-");
        var file = TestData.CreateFile(work.Combine("seed", "dht.bin"), 3 * 1024 * 1024 + 123, seed: 31);
        var torrent = await LibtorrentTorrent.CreateAsync(file, work.Combine("dht.torrent"), 64 * 1024, cancellationToken: ct);
        await using var bootstrap = await LibtorrentDhtNode.StartAsync(null, ct);
        await using var seeder = await LibtorrentPeer.StartSeedAsync(torrent.TorrentPath, work.Combine("seed"),
            o => o with { NoTrackers = true, DhtBootstrap = [bootstrap.EndPoint], DhtAnnounceInterval = TimeSpan.FromSeconds(2) }, ct);

        var output = work.CreateSubdirectory("out");
        // No tracker, no peer address: only the DHT can name the seeder.
        await using var downloader = P2PShareClient.StartDownload(work.Path, $"magnet:?xt=urn:btih:{torrent.InfoHash}", output,
            "--no-seed", "--give-up-after", "60", "--dht-bootstrap", bootstrap.EndPoint.ToString());
        await downloader.WaitForSuccessAsync(TimeSpan.FromSeconds(75), ct);

        Assert.That(TestData.Sha256File(Path.Combine(output, "dht.bin")), Is.EqualTo(TestData.Sha256File(file)), downloader.Describe());
        Assert.That(downloader.ReadLog(), Does.Contain("DHT lookup for").And.Contain("Metadata complete"), downloader.Describe());
        Assert.That(downloader.Process.StdoutTail, Does.Match(@"dht [1-9]\d* nodes, \d+ peers"), "the status line counts DHT nodes and the peers found through it");
        await seeder.WaitUntilUploadedAsync(1, TimeSpan.FromSeconds(10), ct);
    }

    [Test]
    public async Task A_libtorrent_leecher_finds_our_seeder_through_the_dht_alone(CancellationToken ct)
    {
        RequiredTool.EnsureLibtorrent();
        await using var work = new TempDirectory("p2pshare-dht-seed-");
        var file = TestData.CreateFile(work.Combine("seed", "found.bin"), 2 * 1024 * 1024 + 7, seed: 32);
        var torrent = await LibtorrentTorrent.CreateAsync(file, work.Combine("found.torrent"), 64 * 1024, cancellationToken: ct);
        await using var bootstrap = await LibtorrentDhtNode.StartAsync(null, ct);
        await using var ourSeeder = P2PShareClient.StartSeed(work.Path, torrent.TorrentPath, work.Combine("seed"),
            "--dht-bootstrap", bootstrap.EndPoint.ToString());

        // A magnet with no tracker and no peer: the leecher can learn our address from the DHT only.
        await using var leecher = await LibtorrentPeer.StartAsync(new LibtorrentPeerOptions("", work.CreateSubdirectory("leech"))
        {
            Magnet = $"magnet:?xt=urn:btih:{torrent.InfoHash}",
            Mode = LibtorrentMode.Leech,
            NoTrackers = true,
            DhtBootstrap = [bootstrap.EndPoint],
            DhtAnnounceInterval = TimeSpan.FromSeconds(2),
        }, ct);
        await leecher.WaitForExitAsync(TimeSpan.FromSeconds(60), ct);
        Assert.That(TestData.Sha256File(work.Combine("leech", "found.bin")), Is.EqualTo(TestData.Sha256File(file)), ourSeeder.Describe());
    }

    [Test]
    public async Task Dht_get_peers_prints_each_query_and_the_seeder_it_found(CancellationToken ct)
    {
        RequiredTool.EnsureLibtorrent();
        await using var work = new TempDirectory("p2pshare-dht-dig-");
        var file = TestData.CreateFile(work.Combine("seed", "dig.bin"), 256 * 1024, seed: 33);
        var torrent = await LibtorrentTorrent.CreateAsync(file, work.Combine("dig.torrent"), 16 * 1024, cancellationToken: ct);
        await using var bootstrap = await LibtorrentDhtNode.StartAsync(null, ct);
        await using var seeder = await LibtorrentPeer.StartSeedAsync(torrent.TorrentPath, work.Combine("seed"),
            o => o with { NoTrackers = true, DhtBootstrap = [bootstrap.EndPoint], DhtAnnounceInterval = TimeSpan.FromSeconds(2) }, ct);
        var expected = $"127.0.0.1:{seeder.Port}";
        string output = "";
        await Eventually.UntilAsync(async () =>
        {
            await using var dig = P2PShareClient.Start(work.Path, "dht", ["dht", "get-peers", torrent.InfoHash, "--bind", "127.0.0.1", "--dht-bootstrap", bootstrap.EndPoint.ToString()]);
            var code = await dig.WaitForExitAsync(TimeSpan.FromSeconds(30), ct);
            output = dig.Process.StdoutTail;
            return code == 0 && output.Contains(expected);
        }, TimeSpan.FromSeconds(45), "dht get-peers to find the seeder", () => output, TimeSpan.FromSeconds(1), ct);
        Assert.That(output, Does.Contain("hop ").And.Contain("answered").And.Contain("queries"));
    }
}
