using P2PShare.Metainfo;
using P2PShare.Networking.WebSeeds;

namespace P2PShare.Tests.WebSeeds;

/// <summary>The HTTP range client against a scripted server: good answers, and every way an answer can be wrong.</summary>
[CancelAfter(30_000)]
public class WebSeedClientTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);

    // Multi-file: a (10000 bytes) and b (30000 bytes), 16 KiB pieces: piece 0 = a[0..10000) + b[0..6384).
    private static readonly Torrent Torrent = WebSeedUrlTests.Multi("root", (["a"], 10_000), (["b"], 30_000));
    private static readonly byte[] Data = MakeData(40_000);

    private static byte[] MakeData(int length)
    {
        var data = new byte[length];
        new Random(9).NextBytes(data);
        return data;
    }

    /// <summary>Answers like a correct server: the asked range of /root/a or /root/b.</summary>
    private static byte[]? Correct(ScriptedRequest request)
    {
        var (offset, length) = request.Path switch { "/root/a" => (0, 10_000), "/root/b" => (10_000, 30_000), _ => (-1, 0) };
        if (offset < 0 || request.From is not { } from || request.To is not { } to)
            return ScriptedHttpServer.Raw("HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n");
        return ScriptedHttpServer.Partial(Data.AsSpan(offset + (int)from, (int)(to - from + 1)).ToArray(), from, to, length);
    }

    private static async Task<byte[]> FetchAsync(ScriptedHttpServer server, int piece, CancellationToken ct, TimeSpan? timeout = null, HttpClient? http = null)
    {
        var client = new WebSeedClient(http ?? WebSeedHttp.Shared, new Uri(server.Url("/")), Torrent, TimeProvider.System);
        var buffer = new byte[Torrent.PieceSize(piece)];
        await client.FetchPieceAsync(piece, buffer, limit: null, onReceived: null, timeout ?? Timeout, ct);
        return buffer;
    }

    [Test]
    public async Task APieceAcrossTwoFilesIsTwoRangeRequestsOnOneKeptAliveConnection(CancellationToken ct)
    {
        await using var server = new ScriptedHttpServer(Correct);
        using var http = WebSeedHttp.Create();
        var piece0 = await FetchAsync(server, 0, ct, http: http);
        var piece1 = await FetchAsync(server, 1, ct, http: http);
        Assert.Multiple(() =>
        {
            Assert.That(piece0, Is.EqualTo(Data.AsSpan(0, 16384).ToArray()));
            Assert.That(piece1, Is.EqualTo(Data.AsSpan(16384, 16384).ToArray()));
            Assert.That(server.Requests.Select(r => (r.Path, r.From, r.To)), Is.EqualTo(new (string, long?, long?)[]
            {
                ("/root/a", 0, 9_999), ("/root/b", 0, 6_383), ("/root/b", 6_384, 22_767),
            }));
            Assert.That(server.Connections, Is.EqualTo(1), "HTTP/1.1 keep-alive: one connection for all three requests");
        });
    }

    [Test]
    public async Task AnAnswerLongerThanAskedIsCutOffAndFails(CancellationToken ct)
    {
        // Claims no length and just keeps sending: 1 MiB for a 16 KiB range.
        var flood = new byte[1 << 20];
        await using var server = new ScriptedHttpServer(r => ScriptedHttpServer.Raw(
            $"HTTP/1.1 206 Partial Content\r\nContent-Range: bytes {r.From}-{r.To}/30000\r\nConnection: close\r\n\r\n", flood));
        var error = Assert.ThrowsAsync<WebSeedException>(() => FetchAsync(server, 1, ct));
        Assert.That(error!.Message, Does.Contain("longer than the 16384 bytes asked for"));
    }

    [TestCase("HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n", "HTTP 404")]
    [TestCase("HTTP/1.1 500 Internal Server Error\r\nContent-Length: 0\r\n\r\n", "HTTP 500")]
    [TestCase("HTTP/1.1 200 OK\r\nContent-Length: 30000\r\n\r\n", "ignored the range request")]
    [TestCase("HTTP/1.1 206 Partial Content\r\nContent-Range: bytes 0-16383/30000\r\nContent-Length: 16384\r\n\r\n", "got bytes 0-16383")]
    [TestCase("HTTP/1.1 206 Partial Content\r\nContent-Length: 100\r\n\r\n", "the answer has 100")]
    public async Task AWrongAnswerFailsNamingTheUrl(string head, string expected, CancellationToken ct)
    {
        await using var server = new ScriptedHttpServer(_ => ScriptedHttpServer.Raw(head, new byte[100]));
        var error = Assert.ThrowsAsync<WebSeedException>(() => FetchAsync(server, 1, ct));
        Assert.That(error!.Message, Does.Contain(expected).And.Contain(server.Url("/root/b")));
    }

    [Test]
    public async Task AnAnswerThatEndsEarlyFails(CancellationToken ct)
    {
        await using var server = new ScriptedHttpServer(r => ScriptedHttpServer.Raw(
            $"HTTP/1.1 206 Partial Content\r\nContent-Range: bytes {r.From}-{r.To}/30000\r\nConnection: close\r\n\r\n", new byte[1000]));
        var error = Assert.ThrowsAsync<WebSeedException>(() => FetchAsync(server, 1, ct));
        Assert.That(error!.Message, Does.Contain("ended after 1000 of 16384 bytes"));
    }

    [Test]
    public async Task AStalledServerTimesOut(CancellationToken ct)
    {
        await using var server = new ScriptedHttpServer(_ => null);
        var error = Assert.ThrowsAsync<WebSeedException>(() => FetchAsync(server, 1, ct, timeout: TimeSpan.FromMilliseconds(300)));
        Assert.That(error!.Message, Does.Contain("no complete answer within"));
    }

    [Test]
    public async Task RedirectsAreFollowedAFewTimesButNotForever(CancellationToken ct)
    {
        await using var server = new ScriptedHttpServer(r => r.Path switch
        {
            "/root/b" => ScriptedHttpServer.Raw("HTTP/1.1 302 Found\r\nLocation: /moved/b\r\nContent-Length: 0\r\n\r\n"),
            "/moved/b" => Correct(r with { Path = "/root/b" }),
            _ => Correct(r),
        });
        Assert.That(await FetchAsync(server, 1, ct), Is.EqualTo(Data.AsSpan(16384, 16384).ToArray()));

        await using var loop = new ScriptedHttpServer(r => ScriptedHttpServer.Raw(
            $"HTTP/1.1 302 Found\r\nLocation: {r.Path}x\r\nContent-Length: 0\r\n\r\n"));
        var error = Assert.ThrowsAsync<WebSeedException>(() => FetchAsync(loop, 1, ct));
        Assert.That(error!.Message, Does.Contain("HTTP 302"));
        Assert.That(loop.Requests, Has.Count.EqualTo(WebSeedHttp.MaxRedirects + 1));
    }

    [Test]
    public async Task ReceivedBytesAreReportedAndPayTheRateLimit(CancellationToken ct)
    {
        await using var server = new ScriptedHttpServer(Correct);
        var time = new P2PShare.Tests.Support.ManualTimeProvider();
        var received = 0;
        var client = new WebSeedClient(WebSeedHttp.Shared, new Uri(server.Url("/")), Torrent, TimeProvider.System);
        var buffer = new byte[Torrent.PieceSize(2)];
        await client.FetchPieceAsync(2, buffer, new P2PShare.Networking.TokenBucket(0, time), n => received += n, Timeout, ct);
        Assert.That(received, Is.EqualTo(Torrent.PieceSize(2)));
        Assert.That(buffer, Is.EqualTo(Data.AsSpan(32768).ToArray()));
    }
}
