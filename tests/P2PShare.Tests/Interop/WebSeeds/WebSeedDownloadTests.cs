using P2PShare.Tests.Interop.Download;
using P2PShare.Tests.Support;

namespace P2PShare.Tests.Interop.WebSeeds;

/// <summary>
/// BEP 19 web seeds against a real web server: our own nginx (Debian nginx-light) on 127.0.0.1 serving the data,
/// torrents made by 'p2pshare create --web-seed'. Alone (no tracker, no peer), multi-file, a server with corrupt
/// data beside a libtorrent seeder, and a rate-capped server and seeder that both deliver a share.
/// </summary>
[TestFixture]
[Category("Interop")]
[CancelAfter(90_000)]
public sealed class WebSeedDownloadTests
{
    private const int PieceKiB = 64;

    [Test]
    public async Task SingleFileDownloadsFromAWebSeedAlone(CancellationToken cancellationToken)
    {
        await using var temp = new TempDirectory("p2pshare-ws-single-");
        var www = temp.CreateSubdirectory("www");
        // Not a multiple of the piece size: the short last piece is a shorter range.
        var source = TestData.CreateFile(Path.Combine(www, "single.bin"), 3 * 1024 * 1024 + 777, seed: 31);
        await using var nginx = await NginxInstance.StartAsync(www, cancellationToken: cancellationToken);
        // The URL of the file itself.
        var torrent = await P2PShareClient.CreateTorrentAsync(source, temp.Combine("single.torrent"), pieceSizeKiB: PieceKiB,
            cancellationToken: cancellationToken, webSeeds: [nginx.BaseUrl + "single.bin"]);

        var output = temp.CreateSubdirectory("out");
        await using var downloader = P2PShareClient.StartDownload(temp.Path, torrent.TorrentPath, output, "--no-seed", "--give-up-after", "30");
        await downloader.WaitForSuccessAsync(TimeSpan.FromSeconds(60), cancellationToken);

        DownloadCheck.SameContent(source, output, downloader);
        var requests = nginx.Requests();
        var pieces = (int)((new FileInfo(source).Length + PieceKiB * 1024 - 1) / (PieceKiB * 1024));
        Assert.That(requests.Count(r => r.Status == 206 && r.Uri == "/single.bin"), Is.GreaterThanOrEqualTo(pieces), nginx.Describe);
        Assert.That(requests.Where(r => r.Status == 206).Sum(r => r.BytesSent), Is.EqualTo(new FileInfo(source).Length),
            "each piece fetched once, every byte of it exactly once");
    }

    [Test]
    public async Task MultiFileDownloadsFromAWebSeedDirectory(CancellationToken cancellationToken)
    {
        await using var temp = new TempDirectory("p2pshare-ws-multi-");
        var www = temp.CreateSubdirectory("www");
        // Names that must be percent-encoded, and files smaller than a piece, so pieces span several files.
        var source = TestData.CreateTree(Path.Combine(www, "web tree"), [
            ("a.bin", 300_000), ("sub dir/b #1.bin", 70_000), ("sub dir/é?.txt", 5), ("sub dir/c%20.bin", 1), ("z.bin", 1_000_000)], seed: 32);
        await using var nginx = await NginxInstance.StartAsync(www, cancellationToken: cancellationToken);
        var torrent = await P2PShareClient.CreateTorrentAsync(source, temp.Combine("multi.torrent"), pieceSizeKiB: PieceKiB,
            cancellationToken: cancellationToken, webSeeds: [nginx.BaseUrl]);

        var output = temp.CreateSubdirectory("out");
        await using var downloader = P2PShareClient.StartDownload(temp.Path, torrent.TorrentPath, output, "--no-seed", "--give-up-after", "30");
        await downloader.WaitForSuccessAsync(TimeSpan.FromSeconds(60), cancellationToken);

        DownloadCheck.SameContent(source, output, downloader);
        var requests = nginx.Requests();
        Assert.That(requests.Where(r => r.Status != 206), Is.Empty, nginx.Describe);
        Assert.That(requests.Select(r => r.Uri).Distinct(), Is.SupersetOf(new[]
        {
            "/web%20tree/a.bin", "/web%20tree/sub%20dir/b%20%231.bin", "/web%20tree/sub%20dir/%C3%A9%3F.txt", "/web%20tree/sub%20dir/c%2520.bin",
            "/web%20tree/z.bin",
        }), nginx.Describe);
    }

    [Test]
    public async Task CorruptWebSeedIsDroppedAndLibtorrentCompletesTheDownload(CancellationToken cancellationToken)
    {
        RequiredTool.EnsureLibtorrent();
        await using var temp = new TempDirectory("p2pshare-ws-corrupt-");
        var size = 4 * 1024 * 1024;
        var source = TestData.CreateFile(temp.Combine("seed", "data.bin"), size, seed: 33);
        // The web server's copy differs in every byte: every piece it serves fails its hash.
        var www = temp.CreateSubdirectory("www");
        var corrupt = await File.ReadAllBytesAsync(source, cancellationToken);
        for (var i = 0; i < corrupt.Length; i++)
            corrupt[i] ^= 0x5A;
        await File.WriteAllBytesAsync(Path.Combine(www, "data.bin"), corrupt, cancellationToken);
        await using var nginx = await NginxInstance.StartAsync(www, cancellationToken: cancellationToken);
        var webSeed = nginx.BaseUrl + "data.bin";
        var torrent = await P2PShareClient.CreateTorrentAsync(source, temp.Combine("data.torrent"), pieceSizeKiB: PieceKiB,
            cancellationToken: cancellationToken, webSeeds: [webSeed]);
        // Capped, so the web seed has time to be tried (and fail) while libtorrent delivers.
        await using var seeder = await LibtorrentPeer.StartSeedAsync(torrent.TorrentPath, temp.Combine("seed"),
            o => o with { NoTrackers = true, UploadLimit = 1024 * 1024 }, cancellationToken);

        var output = temp.CreateSubdirectory("out");
        await using var downloader = P2PShareClient.StartDownload(temp.Path, torrent.TorrentPath, output,
            "--peer", $"127.0.0.1:{seeder.Port}", "--no-seed", "--give-up-after", "60");
        await downloader.WaitForSuccessAsync(TimeSpan.FromSeconds(60), cancellationToken);

        DownloadCheck.SameContent(source, output, downloader);
        var log = downloader.ReadLog();
        Assert.That(log, Does.Contain($"Web seed {webSeed} dropped: 3 pieces failed their hash check"), downloader.Describe);
        Assert.That(nginx.Requests().Count(r => r.Status == 206), Is.InRange(3, 8), "dropped after three bad pieces (a few more may have been in flight)");
        Assert.That((await seeder.WaitUntilUploadedAsync(size, TimeSpan.FromSeconds(10), cancellationToken)).TotalPayloadUpload,
            Is.GreaterThanOrEqualTo(size), "libtorrent sent all the data");
    }

    [Test]
    public async Task WebSeedAndLibtorrentSeederBothDeliverAShare(CancellationToken cancellationToken)
    {
        RequiredTool.EnsureLibtorrent();
        await using var temp = new TempDirectory("p2pshare-ws-both-");
        var size = 4 * 1024 * 1024;
        var source = TestData.CreateFile(temp.Combine("seed", "both.bin"), size, seed: 34);
        var www = temp.CreateSubdirectory("www");
        File.Copy(source, Path.Combine(www, "both.bin"));
        // Both capped at about the same rate, so neither finishes alone before the other starts.
        await using var nginx = await NginxInstance.StartAsync(www, limitRate: 384 * 1024, cancellationToken: cancellationToken);
        var torrent = await P2PShareClient.CreateTorrentAsync(source, temp.Combine("both.torrent"), pieceSizeKiB: PieceKiB,
            cancellationToken: cancellationToken, webSeeds: [nginx.BaseUrl]);   // a directory: the name is appended
        await using var seeder = await LibtorrentPeer.StartSeedAsync(torrent.TorrentPath, temp.Combine("seed"),
            o => o with { NoTrackers = true, UploadLimit = 768 * 1024 }, cancellationToken);

        var output = temp.CreateSubdirectory("out");
        // TCP straight away: the libtorrent seeder has no uTP, and a 3 s uTP attempt first could let the web seed finish alone.
        await using var downloader = P2PShareClient.StartDownload(temp.Path, torrent.TorrentPath, output,
            "--peer", $"127.0.0.1:{seeder.Port}", "--no-seed", "--give-up-after", "60", "--transport", "tcp");
        await downloader.WaitForSuccessAsync(TimeSpan.FromSeconds(60), cancellationToken);

        DownloadCheck.SameContent(source, output, downloader);
        var fromWeb = nginx.Requests().Where(r => r.Status == 206 && r.Uri == "/both.bin").Sum(r => r.BytesSent);
        var fromPeer = (await seeder.WaitUntilUploadedAsync(1, TimeSpan.FromSeconds(10), cancellationToken)).TotalPayloadUpload;
        TestContext.Out.WriteLine($"web seed served {fromWeb} bytes, libtorrent uploaded {fromPeer} bytes of {size}");
        Assert.That(fromWeb, Is.GreaterThanOrEqualTo(size / 10), nginx.Describe);
        Assert.That(fromPeer, Is.GreaterThanOrEqualTo(size / 10), seeder.Process.Describe);
    }

    [Test]
    public async Task LibtorrentDownloadsFromTheWebSeedOfATorrentWeCreated(CancellationToken cancellationToken)
    {
        RequiredTool.EnsureLibtorrent();
        await using var temp = new TempDirectory("p2pshare-ws-lt-");
        var www = temp.CreateSubdirectory("www");
        var source = TestData.CreateFile(Path.Combine(www, "forlt.bin"), 2 * 1024 * 1024 + 5, seed: 35);
        await using var nginx = await NginxInstance.StartAsync(www, cancellationToken: cancellationToken);
        var torrent = await P2PShareClient.CreateTorrentAsync(source, temp.Combine("forlt.torrent"), pieceSizeKiB: PieceKiB,
            cancellationToken: cancellationToken, webSeeds: [nginx.BaseUrl + "forlt.bin"]);

        await using var leecher = await LibtorrentPeer.StartAsync(
            new LibtorrentPeerOptions(torrent.TorrentPath, temp.CreateSubdirectory("lt")) { Mode = LibtorrentMode.Leech, NoTrackers = true },
            cancellationToken);
        await leecher.WaitUntilCompleteAsync(TimeSpan.FromSeconds(60), cancellationToken);

        Assert.That(TestData.Sha256File(temp.Combine("lt", "forlt.bin")), Is.EqualTo(TestData.Sha256File(source)));
        Assert.That(nginx.BytesServed(), Is.GreaterThanOrEqualTo(new FileInfo(source).Length), nginx.Describe);
    }
}
