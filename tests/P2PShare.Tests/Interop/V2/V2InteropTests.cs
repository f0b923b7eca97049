using P2PShare.Metainfo;
using P2PShare.Tests.Interop.Download;
using P2PShare.Tests.Support;

namespace P2PShare.Tests.Interop.V2;

/// <summary>
/// BEP 52 with libtorrent 2.0: its v2-only and hybrid torrents (single and multi-file, files smaller and larger than a
/// piece, an empty file) read with the same info-hashes and roots; ours match its info-hashes byte for byte; each
/// side downloads both kinds from the other over loopback, verified against the merkle trees.
/// </summary>
[TestFixture]
[Category("Interop")]
[CancelAfter(60_000)]
public sealed class V2InteropTests
{
    private const int PieceKiB = 32;

    /// <summary>A small file, an empty one, one of many pieces with a short tail, and one of exactly two pieces.</summary>
    private static string CreateContent(TempDirectory temp, string name, int seed) =>
        TestData.CreateTree(temp.Combine("seed", name),
        [
            ("a-small.bin", 5000),
            ("empty.txt", 0),
            ("sub/large.bin", 700 * 1024 + 123),
            ("sub/two-pieces.bin", 2 * PieceKiB * 1024),
        ], seed);

    [TestCase("v2", false)]
    [TestCase("v2", true)]
    [TestCase("hybrid", false)]
    [TestCase("hybrid", true)]
    public async Task LibtorrentAndWeAgreeOnInfoHashesAndRoots(string format, bool multiFile, CancellationToken cancellationToken)
    {
        RequiredTool.EnsureLibtorrent();
        await using var temp = new TempDirectory("p2pshare-v2-hashes-");
        var content = multiFile
            ? CreateContent(temp, "tree", 81)
            : TestData.CreateFile(temp.Combine("seed", "single.bin"), 100_000, seed: 82);

        var theirs = await LibtorrentTorrent.CreateAsync(content, temp.Combine("lt.torrent"), PieceKiB * 1024, format: format,
            cancellationToken: cancellationToken);
        var parsed = await TorrentParser.LoadAsync(theirs.TorrentPath, cancellationToken);
        Assert.That(parsed.Version, Is.EqualTo(format == "v2" ? TorrentVersion.V2 : TorrentVersion.Hybrid));
        Assert.That(parsed.V2!.InfoHash.Hex, Is.EqualTo(theirs.InfoHashV2), "v2 info-hash of libtorrent's torrent");
        Assert.That(parsed.InfoHash.Hex, Is.EqualTo(format == "v2" ? theirs.InfoHashV2[..40] : theirs.InfoHash));
        Assert.That(parsed.PieceCount, Is.EqualTo(theirs.NumPieces));
        Assert.That(parsed.TotalLength, Is.EqualTo(theirs.TotalSize), "the same layout, padding included");

        var ours = await P2PShareClient.CreateTorrentAsync(content, temp.Combine("ours.torrent"), pieceSizeKiB: PieceKiB, format: format,
            cancellationToken: cancellationToken);
        var ourTorrent = await TorrentParser.LoadAsync(ours.TorrentPath, cancellationToken);
        TestContext.Out.WriteLine($"{format} {(multiFile ? "multi" : "single")}: libtorrent v1 {theirs.InfoHash} v2 {theirs.InfoHashV2}; ours v1 {ourTorrent.InfoHash} v2 {ourTorrent.V2!.InfoHash}");
        Assert.That(ourTorrent.V2!.InfoHash.Hex, Is.EqualTo(theirs.InfoHashV2), "our create makes libtorrent's v2 info-hash");
        Assert.That(ourTorrent.InfoHash, Is.EqualTo(parsed.InfoHash), "and the same v1 (or truncated) info-hash");
        Assert.That(ourTorrent.Files.Select(f => f.PiecesRoot is null ? "" : Convert.ToHexStringLower(f.PiecesRoot)),
            Is.EqualTo(parsed.Files.Select(f => f.PiecesRoot is null ? "" : Convert.ToHexStringLower(f.PiecesRoot))));
    }

    /// <summary>
    /// The content of a download test and its piece length: the tree above (32 KiB pieces), one file of 1.5 MiB in six
    /// 256 KiB pieces ("single"), or one file smaller than its single 256 KiB piece ("small", a tree with no piece layer).
    /// </summary>
    private static (string Content, int PieceLength) CreateShape(TempDirectory temp, string shape, int seed) => shape switch
    {
        "tree" => (CreateContent(temp, "tree", seed), PieceKiB * 1024),
        "single" => (TestData.CreateFile(temp.Combine("seed", "single.bin"), 1536 * 1024, seed), 256 * 1024),
        "small" => (TestData.CreateFile(temp.Combine("seed", "small.bin"), 100_000, seed), 256 * 1024),
        _ => throw new ArgumentOutOfRangeException(nameof(shape), shape, null),
    };

    [TestCase("v2", "tree")]
    [TestCase("hybrid", "tree")]
    [TestCase("v2", "single")]
    [TestCase("hybrid", "single")]
    [TestCase("v2", "small")]
    [TestCase("hybrid", "small")]
    public async Task DownloadsFromALibtorrentSeeder(string format, string shape, CancellationToken cancellationToken)
    {
        RequiredTool.EnsureLibtorrent();
        await using var temp = new TempDirectory("p2pshare-v2-dl-");
        var (content, pieceLength) = CreateShape(temp, shape, 83);
        var torrent = await LibtorrentTorrent.CreateAsync(content, temp.Combine("lt.torrent"), pieceLength, format: format,
            cancellationToken: cancellationToken);
        await using var seeder = await LibtorrentPeer.StartSeedAsync(torrent.TorrentPath, temp.Combine("seed"),
            o => o with { NoTrackers = true }, cancellationToken);

        var output = temp.CreateSubdirectory("out");
        var started = DateTime.UtcNow;
        await using var downloader = P2PShareClient.StartDownload(temp.Path, torrent.TorrentPath, output,
            "--peer", $"127.0.0.1:{seeder.Port}", "--no-seed", "--no-dht", "--transport", "tcp", "--give-up-after", "30");
        await downloader.WaitForSuccessAsync(TimeSpan.FromSeconds(40), cancellationToken);
        TestContext.Out.WriteLine($"{format} {shape}: {torrent.TotalSize} bytes in {torrent.NumPieces} pieces from libtorrent in {(DateTime.UtcNow - started).TotalSeconds:0.0} s");

        DownloadCheck.SameContent(content, output, downloader);
    }

    [TestCase("v2")]
    [TestCase("hybrid")]
    public async Task LibtorrentLeechesOurCreatedTorrentFromUs(string format, CancellationToken cancellationToken)
    {
        RequiredTool.EnsureLibtorrent();
        await using var temp = new TempDirectory("p2pshare-v2-seed-");
        var content = CreateContent(temp, "tree", 84);
        var torrent = await P2PShareClient.CreateTorrentAsync(content, temp.Combine("ours.torrent"), pieceSizeKiB: PieceKiB, format: format,
            cancellationToken: cancellationToken);
        await using var seeder = P2PShareClient.StartSeed(temp.Path, torrent.TorrentPath, temp.Combine("seed"), "--no-dht");
        var port = await seeder.WaitUntilListeningAsync(TimeSpan.FromSeconds(30), cancellationToken);

        var output = temp.CreateSubdirectory("lt-out");
        await using var leecher = await LibtorrentPeer.StartAsync(new LibtorrentPeerOptions(torrent.TorrentPath, output)
        {
            Mode = LibtorrentMode.Leech,
            NoTrackers = true,
            ConnectTo = [new System.Net.IPEndPoint(System.Net.IPAddress.Loopback, port)],
        }, cancellationToken);
        var done = await leecher.WaitForExitAsync(TimeSpan.FromSeconds(40), cancellationToken);
        TestContext.Out.WriteLine($"{format}: libtorrent downloaded {done.TotalPayloadDownload} bytes from us");

        Assert.That(TestData.Sha256Tree(Path.Combine(output, "tree")), Is.EqualTo(TestData.Sha256Tree(content)),
            () => leecher.Process.Describe() + Environment.NewLine + seeder.Describe());
    }

    /// <summary>The single-file cases the other way round: libtorrent creates the torrent, we seed it, it leeches it.</summary>
    [TestCase("v2", "single")]
    [TestCase("hybrid", "single")]
    [TestCase("v2", "small")]
    [TestCase("hybrid", "small")]
    public async Task LibtorrentLeechesItsSingleFileTorrentFromUs(string format, string shape, CancellationToken cancellationToken)
    {
        RequiredTool.EnsureLibtorrent();
        await using var temp = new TempDirectory("p2pshare-v2-seed1-");
        var (content, pieceLength) = CreateShape(temp, shape, 85);
        var torrent = await LibtorrentTorrent.CreateAsync(content, temp.Combine("lt.torrent"), pieceLength, format: format,
            cancellationToken: cancellationToken);
        await using var seeder = P2PShareClient.StartSeed(temp.Path, torrent.TorrentPath, temp.Combine("seed"), "--no-dht");
        var port = await seeder.WaitUntilListeningAsync(TimeSpan.FromSeconds(30), cancellationToken);

        var output = temp.CreateSubdirectory("lt-out");
        var started = DateTime.UtcNow;
        await using var leecher = await LibtorrentPeer.StartAsync(new LibtorrentPeerOptions(torrent.TorrentPath, output)
        {
            Mode = LibtorrentMode.Leech,
            NoTrackers = true,
            ConnectTo = [new System.Net.IPEndPoint(System.Net.IPAddress.Loopback, port)],
        }, cancellationToken);
        var done = await leecher.WaitForExitAsync(TimeSpan.FromSeconds(40), cancellationToken);
        TestContext.Out.WriteLine($"{format} {shape}: libtorrent downloaded {done.TotalPayloadDownload} bytes ({torrent.NumPieces} pieces) from us in {(DateTime.UtcNow - started).TotalSeconds:0.0} s");

        Assert.That(TestData.Sha256File(Path.Combine(output, Path.GetFileName(content))), Is.EqualTo(TestData.Sha256File(content)),
            () => leecher.Process.Describe() + Environment.NewLine + seeder.Describe());
    }
}
