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

    [Test]
    public async Task APeerThatCorruptsOneBlockOfAV2PieceIsIdentifiedFromThatPiece(CancellationToken cancellationToken)
    {
        RequiredTool.EnsureLibtorrent();
        await using var temp = new TempDirectory("p2pshare-v2-blame-");
        var file = TestData.CreateFile(temp.Combine("seed", "data.bin"), 1024 * 1024, seed: 93);
        var torrent = await LibtorrentTorrent.CreateAsync(file, temp.Combine("lt.torrent"), PieceKiB * 1024, format: "v2",
            cancellationToken: cancellationToken);
        var parsed = await P2PShare.Metainfo.TorrentParser.LoadAsync(torrent.TorrentPath, cancellationToken);
        // The honest seeder is slowed down so that the corrupting peer gets requests too.
        await using var seeder = await LibtorrentPeer.StartSeedAsync(torrent.TorrentPath, temp.Combine("seed"),
            o => o with { NoTrackers = true, Encryption = "disabled", UploadLimit = 256 * 1024 }, cancellationToken);
        await using var liar = new CorruptingV2Peer(await File.ReadAllBytesAsync(file, cancellationToken), parsed.InfoHash.Span.ToArray(), PieceKiB * 1024);

        var output = temp.CreateSubdirectory("out");
        await using var downloader = P2PShareClient.StartDownload(temp.Path, torrent.TorrentPath, output,
            "--peer", $"127.0.0.1:{liar.Port}", "--peer", $"127.0.0.1:{seeder.Port}",
            "--no-seed", "--no-dht", "--transport", "tcp", "--encryption", "disable", "--give-up-after", "30");
        await downloader.WaitForSuccessAsync(TimeSpan.FromSeconds(40), cancellationToken);
        var log = downloader.ReadLog().Split('\n');
        var leafMismatches = log.Where(l => l.Contains("does not match its merkle leaf", StringComparison.Ordinal)).ToList();
        var bans = log.Where(l => l.Contains("Banning", StringComparison.Ordinal)).ToList();
        TestContext.Out.WriteLine($"corrupt blocks sent: {liar.CorruptBlocks}");
        foreach (var line in leafMismatches.Concat(bans))
            TestContext.Out.WriteLine(line.Trim());

        DownloadCheck.SameContent(file, output, downloader);
        Assert.That(liar.CorruptBlocks, Is.GreaterThan(0), "the corrupting peer was asked for blocks");
        Assert.That(leafMismatches, Is.Not.Empty, "a corrupt block was found by its merkle leaf\n" + downloader.LogTail());
        Assert.That(leafMismatches, Has.All.Contain($"127.0.0.1:{liar.Port}"), "only the liar's blocks mismatch");
        Assert.That(bans, Is.Not.Empty.And.All.Contain($"127.0.0.1:{liar.Port}"), "the liar, and only the liar, is banned");
    }
}
