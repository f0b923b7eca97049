using P2PShare.Tests.Interop.Download;
using P2PShare.Tests.Support;

namespace P2PShare.Tests.Interop.WebSeeds;

/// <summary>
/// Web seeds that answer wrongly, served by a real nginx (one process, one port, a location per fault, config made
/// here): 404, 500, a truncated copy (wrong length), a corrupt copy, and a stall (limit_rate 100 bytes/s). The
/// download completes from the other sources, and the log and the peer list name each bad seed and what was wrong.
/// </summary>
[TestFixture]
[Category("Interop")]
[CancelAfter(60_000)]
public sealed class WebSeedFaultTests
{
    private const int PieceKiB = 64;
    private const int Size = 2 * 1024 * 1024 + 123;

    private const string FaultLocations = """
        location /e404/ { return 404; }
        location /e500/ { return 500; }
        location /stall/ { limit_rate_after 0; limit_rate 100; }
        location /good/ { limit_rate 128k; }
        """;

    /// <summary>Each bad seed's directory and the words its failure must be described with (any of them).</summary>
    private static readonly (string Directory, string[] Reason)[] Faults =
    [
        ("e404", ["HTTP 404"]),
        ("e500", ["HTTP 500"]),
        // Shorter than one piece: the first piece's range comes back short, any other is beyond the end (416).
        ("short", ["HTTP 416", "got bytes 0-"]),
        ("corrupt", ["failed its hash check", "failed their hash check"]),
        ("stall", ["no complete answer within 2 s"]),
    ];

    private static async Task<(string Source, NginxInstance Nginx, List<string> BadSeeds)> ServeAsync(TempDirectory temp, CancellationToken cancellationToken)
    {
        var source = TestData.CreateFile(temp.Combine("seed", "data.bin"), Size, seed: 61);
        var www = temp.CreateSubdirectory("www");
        var bytes = await File.ReadAllBytesAsync(source, cancellationToken);
        foreach (var directory in new[] { "e404", "e500", "stall", "good" })
            File.Copy(source, Path.Combine(Directory.CreateDirectory(Path.Combine(www, directory)).FullName, "data.bin"));
        await File.WriteAllBytesAsync(Path.Combine(Directory.CreateDirectory(Path.Combine(www, "short")).FullName, "data.bin"), bytes[..40_000], cancellationToken);
        var corrupt = bytes.Select(b => (byte)(b ^ 0x5A)).ToArray();
        await File.WriteAllBytesAsync(Path.Combine(Directory.CreateDirectory(Path.Combine(www, "corrupt")).FullName, "data.bin"), corrupt, cancellationToken);
        var nginx = await NginxInstance.StartAsync(www, serverConfig: FaultLocations, cancellationToken: cancellationToken);
        return (source, nginx, Faults.Select(f => $"{nginx.BaseUrl}{f.Directory}/data.bin").ToList());
    }

    private static void AssertEachBadSeedIsNamed(string text, IReadOnlyList<string> badSeeds, string where, Func<string> describe)
    {
        for (var i = 0; i < Faults.Length; i++)
        {
            var url = badSeeds[i];
            var lines = text.Split('\n').Where(l => l.Contains(url, StringComparison.Ordinal)).ToList();
            Assert.That(lines.Any(l => Faults[i].Reason.Any(r => l.Contains(r, StringComparison.Ordinal))), Is.True,
                $"{where} names {url} with one of [{string.Join(", ", Faults[i].Reason)}]; its lines:{Environment.NewLine}{string.Join(Environment.NewLine, lines)}{Environment.NewLine}{describe()}");
        }
    }

    [Test]
    public async Task BadWebSeedsAreNamedWhileALibtorrentSeederCompletesTheDownload(CancellationToken cancellationToken)
    {
        RequiredTool.EnsureLibtorrent();
        await using var temp = new TempDirectory("p2pshare-ws-faults-lt-");
        var (source, nginx, badSeeds) = await ServeAsync(temp, cancellationToken);
        await using var _ = nginx;
        var torrent = await P2PShareClient.CreateTorrentAsync(source, temp.Combine("data.torrent"), pieceSizeKiB: PieceKiB,
            cancellationToken: cancellationToken, webSeeds: badSeeds);
        // Capped, so that every bad seed is tried (the stalled one for its 2 s timeout) before the download ends.
        await using var seeder = await LibtorrentPeer.StartSeedAsync(torrent.TorrentPath, temp.Combine("seed"),
            o => o with { NoTrackers = true, UploadLimit = 512 * 1024 }, cancellationToken);

        var output = temp.CreateSubdirectory("out");
        var started = DateTime.UtcNow;
        await using var downloader = P2PShareClient.StartDownload(temp.Path, torrent.TorrentPath, output,
            "--peer", $"127.0.0.1:{seeder.Port}", "--no-seed", "--give-up-after", "40", "--transport", "tcp", "--web-seed-timeout", "2");
        await downloader.WaitForSuccessAsync(TimeSpan.FromSeconds(40), cancellationToken);
        TestContext.Out.WriteLine($"downloaded {Size} bytes in {(DateTime.UtcNow - started).TotalSeconds:0.0} s; nginx answers: " +
            string.Join(", ", nginx.Requests().GroupBy(r => $"{r.Uri.Split('/')[1]} {r.Status}").Select(g => $"{g.Key} x{g.Count()}")) +
            $"{Environment.NewLine}{downloader.Process.StdoutTail}");

        DownloadCheck.SameContent(source, output, downloader);
        AssertEachBadSeedIsNamed(downloader.ReadLog(), badSeeds, "the log", downloader.Describe);
        Assert.That(nginx.Requests().Where(r => r.Uri.StartsWith("/stall/", StringComparison.Ordinal)), Is.Not.Empty, "the stalled seed was asked");
    }

    [Test]
    public async Task BadWebSeedsAreShownInThePeerListWhileAGoodWebSeedCompletesTheDownload(CancellationToken cancellationToken)
    {
        await using var temp = new TempDirectory("p2pshare-ws-faults-good-");
        var (source, nginx, badSeeds) = await ServeAsync(temp, cancellationToken);
        await using var _ = nginx;
        // No peer at all: a good web seed (capped at 128 KiB/s per connection, so the run lasts past the first 5 s peer list) and the bad ones.
        var torrent = await P2PShareClient.CreateTorrentAsync(source, temp.Combine("data.torrent"), pieceSizeKiB: PieceKiB,
            cancellationToken: cancellationToken, webSeeds: [.. badSeeds, nginx.BaseUrl + "good/data.bin"]);

        var output = temp.CreateSubdirectory("out");
        await using var downloader = P2PShareClient.StartDownload(temp.Path, torrent.TorrentPath, output,
            "--no-seed", "--give-up-after", "40", "--web-seed-timeout", "2", "--peers");
        await downloader.WaitForSuccessAsync(TimeSpan.FromSeconds(40), cancellationToken);

        DownloadCheck.SameContent(source, output, downloader);
        var good = nginx.Requests().Where(r => r.Uri == "/good/data.bin" && r.Status == 206).Sum(r => r.BytesSent);
        TestContext.Out.WriteLine($"good seed served {good} bytes of {Size}; peer list:{Environment.NewLine}{downloader.Process.StdoutTail}");
        Assert.That(good, Is.GreaterThanOrEqualTo(Size), "the good seed served everything");
        AssertEachBadSeedIsNamed(downloader.Process.StdoutTail, badSeeds, "the --peers list", downloader.Describe);
    }
}
