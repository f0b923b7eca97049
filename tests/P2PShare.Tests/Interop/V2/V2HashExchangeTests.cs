using System.Net;
using P2PShare.Tests.Interop.Download;
using P2PShare.Tests.Support;

namespace P2PShare.Tests.Interop.V2;

/// <summary>
/// BEP 52 hash request / hashes with libtorrent 2.0: a v2-only magnet carries only the info dictionary, whose files
/// have their roots but not their piece layers; the piece layers come from peers, proven against the roots. Each side
/// fetches them from the other (files of 22 pieces and of 2 pieces need layers; the small ones do not).
/// </summary>
[TestFixture]
[Category("Interop")]
[CancelAfter(60_000)]
public sealed class V2HashExchangeTests
{
    private const int PieceKiB = 32;

    private static string CreateContent(TempDirectory temp, int seed) =>
        TestData.CreateTree(temp.Combine("seed", "tree"),
        [
            ("a-small.bin", 5000),
            ("sub/large.bin", 700 * 1024 + 123),
            ("sub/two-pieces.bin", 2 * PieceKiB * 1024),
        ], seed);

    [Test]
    public async Task AV2MagnetFetchesItsPieceLayersFromALibtorrentSeeder(CancellationToken cancellationToken)
    {
        RequiredTool.EnsureLibtorrent();
        await using var temp = new TempDirectory("p2pshare-v2-magnet-");
        var content = CreateContent(temp, 91);
        var torrent = await LibtorrentTorrent.CreateAsync(content, temp.Combine("lt.torrent"), PieceKiB * 1024, format: "v2",
            cancellationToken: cancellationToken);
        await using var seeder = await LibtorrentPeer.StartSeedAsync(torrent.TorrentPath, temp.Combine("seed"),
            o => o with { NoTrackers = true, Encryption = "disabled" }, cancellationToken);

        var magnet = $"magnet:?xt=urn:btmh:1220{torrent.InfoHashV2}&dn=tree&x.pe=127.0.0.1:{seeder.Port}";
        var output = temp.CreateSubdirectory("out");
        var started = DateTime.UtcNow;
        await using var downloader = P2PShareClient.StartDownload(temp.Path, magnet, output,
            "--no-seed", "--no-dht", "--transport", "tcp", "--encryption", "disable", "--give-up-after", "30");
        await downloader.WaitForSuccessAsync(TimeSpan.FromSeconds(40), cancellationToken);
        var log = downloader.ReadLog();
        var layers = log.Split('\n').Where(l => l.Contains("Piece layer of", StringComparison.Ordinal)).ToList();
        TestContext.Out.WriteLine($"v2 magnet: {torrent.TotalSize} bytes in {torrent.NumPieces} pieces from libtorrent in {(DateTime.UtcNow - started).TotalSeconds:0.0} s");
        foreach (var line in layers)
            TestContext.Out.WriteLine(line.Trim());

        DownloadCheck.SameContent(content, output, downloader);
        Assert.That(layers, Has.Count.EqualTo(2), "the layers of large.bin and two-pieces.bin came from the seeder\n" + downloader.LogTail());
    }

    [Test]
    public async Task LibtorrentFetchesPieceLayersFromUsForAV2Magnet(CancellationToken cancellationToken)
    {
        RequiredTool.EnsureLibtorrent();
        await using var temp = new TempDirectory("p2pshare-v2-serve-");
        var content = CreateContent(temp, 92);
        var torrent = await P2PShareClient.CreateTorrentAsync(content, temp.Combine("ours.torrent"), pieceSizeKiB: PieceKiB, format: "v2",
            cancellationToken: cancellationToken);
        var parsed = await P2PShare.Metainfo.TorrentParser.LoadAsync(torrent.TorrentPath, cancellationToken);
        await using var seeder = P2PShareClient.StartSeed(temp.Path, torrent.TorrentPath, temp.Combine("seed"), "--no-dht", "--encryption", "disable");
        var port = await seeder.WaitUntilListeningAsync(TimeSpan.FromSeconds(30), cancellationToken);

        var output = temp.CreateSubdirectory("lt-out");
        var magnet = $"magnet:?xt=urn:btmh:1220{parsed.V2!.InfoHash.Hex}&dn=tree";
        await using var leecher = await LibtorrentPeer.StartAsync(new LibtorrentPeerOptions(torrent.TorrentPath, output)
        {
            Magnet = magnet,
            Mode = LibtorrentMode.Leech,
            NoTrackers = true,
            Encryption = "disabled",
            ConnectTo = [new IPEndPoint(IPAddress.Loopback, port)],
        }, cancellationToken);
        var done = await leecher.WaitForExitAsync(TimeSpan.FromSeconds(40), cancellationToken);
        TestContext.Out.WriteLine($"libtorrent fetched the metadata and piece layers of a v2 magnet from us and downloaded {done.TotalPayloadDownload} bytes");

        Assert.That(TestData.Sha256Tree(Path.Combine(output, "tree")), Is.EqualTo(TestData.Sha256Tree(content)),
            () => leecher.Process.Describe() + Environment.NewLine + seeder.Describe());
    }
}
