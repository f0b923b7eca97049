using P2PShare.Metainfo;
using P2PShare.Networking.WebSeeds;
using P2PShare.Tests.Interop.Download;
using P2PShare.Tests.Support;

namespace P2PShare.Tests.Interop.WebSeeds;

/// <summary>
/// Web seeds over HTTPS with HTTP/2 (ALPN), from a real nginx ('listen ... ssl http2') with a self-signed certificate
/// made here by openssl. The certificate is accepted only through the test hook (an environment variable naming that
/// very certificate); without it the seed fails on the certificate.
/// </summary>
[TestFixture]
[Category("Interop")]
[CancelAfter(60_000)]
public sealed class WebSeedHttpsTests
{
    private const int PieceKiB = 64;

    [Test]
    public async Task DownloadsOverHttpsWithHttp2FromNginx(CancellationToken cancellationToken)
    {
        await using var temp = new TempDirectory("p2pshare-ws-https-");
        var www = temp.CreateSubdirectory("www");
        var source = TestData.CreateFile(Path.Combine(www, "secure.bin"), 2 * 1024 * 1024 + 99, seed: 71);
        var tls = await NginxTls.CreateSelfSignedAsync(temp.CreateSubdirectory("tls"), cancellationToken);
        await using var nginx = await NginxInstance.StartAsync(www, tls: tls, cancellationToken: cancellationToken);
        Assert.That(nginx.BaseUrl, Does.StartWith("https://"));
        var torrent = await P2PShareClient.CreateTorrentAsync(source, temp.Combine("secure.torrent"), pieceSizeKiB: PieceKiB,
            cancellationToken: cancellationToken, webSeeds: [nginx.BaseUrl + "secure.bin"]);

        var output = temp.CreateSubdirectory("out");
        var started = DateTime.UtcNow;
        await using var downloader = P2PShareClient.StartDownloadWithEnvironment(temp.Path, torrent.TorrentPath, output,
            new Dictionary<string, string?> { [WebSeedHttp.TrustedCertificateVariable] = tls.CertificatePath }, "--no-seed", "--give-up-after", "30");
        await downloader.WaitForSuccessAsync(TimeSpan.FromSeconds(40), cancellationToken);

        DownloadCheck.SameContent(source, output, downloader);
        var requests = nginx.Requests();
        TestContext.Out.WriteLine($"{new FileInfo(source).Length} bytes over HTTPS in {(DateTime.UtcNow - started).TotalSeconds:0.0} s: " +
            string.Join(", ", requests.GroupBy(r => $"{r.Protocol} {r.Status}").Select(g => $"{g.Key} x{g.Count()}")));
        Assert.That(requests.Where(r => r.Status == 206).ToList(), Has.Count.GreaterThanOrEqualTo(33), nginx.Describe);
        Assert.That(requests.Select(r => r.Protocol), Is.All.EqualTo("HTTP/2.0"), "every request went over HTTP/2");
        Assert.That(requests.Where(r => r.Status == 206).Sum(r => r.BytesSent), Is.EqualTo(new FileInfo(source).Length), "every byte exactly once");
    }

    [Test]
    public async Task TheSelfSignedCertificateIsRefusedWithoutTheTestHookAndAcceptedWithIt(CancellationToken cancellationToken)
    {
        await using var temp = new TempDirectory("p2pshare-ws-cert-");
        var www = temp.CreateSubdirectory("www");
        var source = TestData.CreateFile(Path.Combine(www, "c.bin"), 100_000, seed: 72);
        var tls = await NginxTls.CreateSelfSignedAsync(temp.CreateSubdirectory("tls"), cancellationToken);
        await using var nginx = await NginxInstance.StartAsync(www, tls: tls, cancellationToken: cancellationToken);
        var created = await P2PShareClient.CreateTorrentAsync(source, temp.Combine("c.torrent"), pieceSizeKiB: PieceKiB, cancellationToken: cancellationToken);
        var torrent = TorrentParser.Parse(await File.ReadAllBytesAsync(created.TorrentPath, cancellationToken));
        var url = new Uri(nginx.BaseUrl + "c.bin");
        var buffer = new byte[torrent.PieceSize(0)];
        Assert.That(Environment.GetEnvironmentVariable(WebSeedHttp.TrustedCertificateVariable), Is.Null, "the test process has no hook set");

        // The default client: the certificate has no authority behind it.
        using (var strict = WebSeedHttp.Create())
        {
            var refused = Assert.ThrowsAsync<WebSeedException>(() =>
                new WebSeedClient(strict, url, torrent, TimeProvider.System).FetchPieceAsync(0, buffer, null, null, TimeSpan.FromSeconds(10), cancellationToken));
            TestContext.Out.WriteLine($"without the hook: {refused!.Message}");
            Assert.That(refused.Message, Does.Contain(url.ToString()).And.Contain("SSL").IgnoreCase);
        }

        // With the hook naming this certificate: accepted, over HTTP/2, several pieces at once on the one client.
        using var trusting = WebSeedHttp.Create(tls.CertificatePath);
        var client = new WebSeedClient(trusting, url, torrent, TimeProvider.System);
        var buffers = Enumerable.Range(0, torrent.PieceCount).Select(i => new byte[torrent.PieceSize(i)]).ToArray();
        await Task.WhenAll(buffers.Select((b, i) => client.FetchPieceAsync(i, b, null, null, TimeSpan.FromSeconds(10), cancellationToken)));
        Assert.That(buffers.SelectMany(b => b).ToArray(), SameBytes.As(await File.ReadAllBytesAsync(source, cancellationToken)));
        Assert.That(client.Transport, Is.EqualTo("https+h2"));
        var protocols = nginx.Requests().Where(r => r.Status == 206).Select(r => r.Protocol).ToList();
        Assert.That(protocols, Has.Count.EqualTo(torrent.PieceCount), nginx.Describe);
        Assert.That(protocols, Is.All.EqualTo("HTTP/2.0"));
    }
}
