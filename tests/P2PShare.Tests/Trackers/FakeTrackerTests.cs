using P2PShare.Tests.Support;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Microsoft.Extensions.Logging.Abstractions;
using P2PShare.Bencode;
using P2PShare.Networking.Trackers;
using P2PShare.Protocol.Tracker;
using Polly;
using static P2PShare.Tests.Trackers.TrackerTestData;

namespace P2PShare.Tests.Trackers;

/// <summary>The real HTTP and UDP clients against trackers of our own that misbehave on purpose.</summary>
public class FakeTrackerTests
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(15);

    private static readonly TrackerOptions FastOptions = new()
    {
        HttpTimeout = TimeSpan.FromSeconds(2),
        UdpBaseTimeout = TimeSpan.FromMilliseconds(200),
        UdpMaxRetransmissions = 2,
        HttpRetryAttempts = 1,
        RetryBaseDelay = TimeSpan.FromMilliseconds(50),
        MaxResponseBytes = 64 * 1024,
    };

    private HttpClient _http = null!;

    [SetUp]
    public void SetUp() => _http = HttpTrackerClient.CreateHttpClient(FastOptions);

    [TearDown]
    public void TearDown() => _http.Dispose();

    private HttpTrackerClient Http(FakeHttpTracker tracker, TrackerOptions? options = null) =>
        new(new Uri(tracker.AnnounceUrl), _http, options ?? FastOptions, 0x12345678);

    [Test]
    public async Task HttpAnnounceSendsBinarySafeFieldsAndReadsTheAnswer()
    {
        var body = Encode(("interval", new BInteger(900)), ("min interval", new BInteger(60)),
            ("complete", new BInteger(4)), ("incomplete", new BInteger(5)), ("warning message", new BString("be nice")),
            ("tracker id", new BString("tid-1")),
            ("peers", CompactPeers("127.0.0.2:6000")), ("peers6", CompactPeers6("[::1]:6001")));
        await using var tracker = FakeHttpTracker.Answering(body);
        var client = Http(tracker);
        var response = await client.AnnounceAsync(Request(Hash(1)), CancellationToken.None);
        Assert.Multiple(() =>
        {
            Assert.That(response.Interval, Is.EqualTo(TimeSpan.FromSeconds(900)));
            Assert.That(response.MinInterval, Is.EqualTo(TimeSpan.FromSeconds(60)));
            Assert.That(response.Seeders, Is.EqualTo(4));
            Assert.That(response.Leechers, Is.EqualTo(5));
            Assert.That(response.WarningMessage, Is.EqualTo("be nice"));
            Assert.That(response.Peers, Is.EqualTo(new[] { IPEndPoint.Parse("127.0.0.2:6000"), IPEndPoint.Parse("[::1]:6001") }));
        });
        tracker.Requests.TryDequeue(out var first);
        var query = HttpTrackerCodecTests.ParseQueryBytes(first!.Split('?', 2)[1]);
        Assert.That(query["peer_id"], Is.EqualTo(PeerId()), "the peer id arrives byte for byte");
        Assert.That(query["info_hash"], Is.EqualTo(Hash(1).Span.ToArray()));
        Assert.That(Encoding.ASCII.GetString(query["event"]), Is.EqualTo("started"));

        await client.AnnounceAsync(Request(Hash(1), AnnounceEvent.None), CancellationToken.None);
        tracker.Requests.TryDequeue(out var second);
        var secondQuery = HttpTrackerCodecTests.ParseQueryBytes(second!.Split('?', 2)[1]);
        Assert.That(secondQuery.ContainsKey("event"), Is.False);
        Assert.That(Encoding.ASCII.GetString(secondQuery["trackerid"]), Is.EqualTo("tid-1"), "tracker id is sent back");
    }

    [Test]
    public async Task HttpDictionaryPeersAndFailureReason()
    {
        var peers = new BList { new BDictionary { ["ip"] = new BString("127.0.0.3"), ["port"] = new BInteger(7000), ["peer id"] = new BString(new string('p', 20)) } };
        await using (var tracker = FakeHttpTracker.Answering(Encode(("interval", new BInteger(60)), ("peers", peers))))
        {
            var response = await Http(tracker).AnnounceAsync(Request(Hash(1)), CancellationToken.None);
            Assert.That(response.Peers, Is.EqualTo(new[] { IPEndPoint.Parse("127.0.0.3:7000") }));
        }
        await using (var tracker = new FakeHttpTracker((_, stream, ct) =>
            FakeHttpTracker.WriteResponseAsync(stream, Encode(("failure reason", new BString("unregistered torrent"))), ct, status: "400 Bad Request")))
        {
            var error = Assert.ThrowsAsync<TrackerFailureException>(() => Http(tracker).AnnounceAsync(Request(Hash(1)), CancellationToken.None));
            Assert.That(error!.Reason, Is.EqualTo("unregistered torrent"));
        }
    }

    [Test]
    public async Task HttpGarbageHtmlAndNonHttpAreBoundedProtocolErrors()
    {
        await using (var tracker = FakeHttpTracker.Answering("<!DOCTYPE html><html><body>Cloudflare says no</body></html>"u8.ToArray()))
        {
            var error = Assert.ThrowsAsync<TrackerProtocolException>(() => Http(tracker).AnnounceAsync(Request(Hash(1)), CancellationToken.None));
            Assert.That(error!.Message, Does.Contain("<!DOCTYPE html>"));
        }
        var random = new byte[5000];
        new Random(3).NextBytes(random);
        await using (var tracker = FakeHttpTracker.Answering(random))
            Assert.ThrowsAsync<TrackerProtocolException>(() => Http(tracker).AnnounceAsync(Request(Hash(1)), CancellationToken.None));
        await using (var tracker = new FakeHttpTracker((_, stream, ct) => stream.WriteAsync(random, ct).AsTask()))
            Assert.ThrowsAsync<TrackerProtocolException>(() => Http(tracker).AnnounceAsync(Request(Hash(1)), CancellationToken.None));
    }

    [Test]
    public async Task HttpTruncatedBodyIsAnError()
    {
        var body = Encode(("interval", new BInteger(60)), ("peers", CompactPeers("127.0.0.2:6000", "127.0.0.3:6000")));
        // Announced length longer than what is sent before the connection closes.
        await using (var tracker = new FakeHttpTracker((_, stream, ct) => FakeHttpTracker.WriteResponseAsync(stream, body[..^6], ct, contentLength: body.Length)))
            Assert.ThrowsAsync<TrackerUnreachableException>(() => Http(tracker).AnnounceAsync(Request(Hash(1)), CancellationToken.None));
        // No length at all: the body ends early and does not decode.
        await using (var tracker = new FakeHttpTracker(async (_, stream, ct) =>
        {
            await stream.WriteAsync("HTTP/1.0 200 OK\r\nConnection: close\r\n\r\n"u8.ToArray(), ct);
            await stream.WriteAsync(body[..^6], ct);
        }))
            Assert.ThrowsAsync<TrackerProtocolException>(() => Http(tracker).AnnounceAsync(Request(Hash(1)), CancellationToken.None));
    }

    [Test]
    public async Task HttpHugeBodyIsRefusedWithoutReadingIt()
    {
        var limit = FastOptions.MaxResponseBytes;
        var chunk = new byte[16 * 1024];
        var sent = 0L;
        // Declared huge: refused from the header.
        await using (var tracker = new FakeHttpTracker((_, stream, ct) => FakeHttpTracker.WriteResponseAsync(stream, [], ct, contentLength: 10L * 1024 * 1024 * 1024)))
        {
            var error = Assert.ThrowsAsync<TrackerProtocolException>(() => Http(tracker).AnnounceAsync(Request(Hash(1)), CancellationToken.None));
            Assert.That(error!.Message, Does.Contain("larger than the limit"));
        }
        // Undeclared and endless: reading stops at the limit.
        await using (var tracker = new FakeHttpTracker(async (_, stream, ct) =>
        {
            await stream.WriteAsync("HTTP/1.0 200 OK\r\nConnection: close\r\n\r\n"u8.ToArray(), ct);
            while (sent < 100L * 1024 * 1024)
            {
                await stream.WriteAsync(chunk, ct);
                Interlocked.Add(ref sent, chunk.Length);
            }
        }))
        {
            var error = Assert.ThrowsAsync<TrackerProtocolException>(() => Http(tracker).AnnounceAsync(Request(Hash(1)), CancellationToken.None));
            Assert.That(error!.Message, Does.Contain("larger than the limit"));
        }
        Assert.That(Interlocked.Read(ref sent), Is.LessThan(limit + 16L * 1024 * 1024), "the client stopped reading soon after the limit");
    }

    [Test]
    public async Task HttpScrapeUsesTheScrapeUrl()
    {
        var files = new BDictionary();
        files.Set(new BString(Hash(2).Memory.ToArray()), new BDictionary { ["complete"] = new BInteger(8), ["downloaded"] = new BInteger(9), ["incomplete"] = new BInteger(1) });
        await using var tracker = FakeHttpTracker.Answering(Encode(("files", files)));
        var scrape = await Http(tracker).ScrapeAsync(Hash(2), CancellationToken.None);
        Assert.That(scrape, Is.EqualTo(new ScrapeResponse(8, 9, 1)));
        tracker.Requests.TryDequeue(out var target);
        Assert.That(target, Does.StartWith("/scrape?info_hash="));
    }

    [Test]
    public async Task UdpAnnounceAndScrape()
    {
        await using var tracker = new FakeUdpTracker(peers: CompactPeers("127.0.0.5:6881").Bytes.ToArray(), interval: 1234);
        await using var client = new UdpTrackerClient(new Uri(tracker.Url), FastOptions, 0xabcdef01, TimeProvider.System);
        var response = await client.AnnounceAsync(Request(Hash(1), port: 4321), CancellationToken.None);
        Assert.That(response.Interval, Is.EqualTo(TimeSpan.FromSeconds(1234)));
        Assert.That(response.Leechers, Is.EqualTo(2));
        Assert.That(response.Seeders, Is.EqualTo(3));
        Assert.That(response.Peers, Is.EqualTo(new[] { IPEndPoint.Parse("127.0.0.5:6881") }));
        Assert.That(tracker.AnnounceRequests.TryPeek(out var request), Is.True);
        Assert.That(request!.AsSpan(36, 20).ToArray(), Is.EqualTo(PeerId()));
        Assert.That(System.Buffers.Binary.BinaryPrimitives.ReadUInt32BigEndian(request.AsSpan(88)), Is.EqualTo(0xabcdef01u));

        var scrape = await client.ScrapeAsync(Hash(1), CancellationToken.None);
        Assert.That(scrape, Is.EqualTo(new ScrapeResponse(4, 5, 6)));
        Assert.That(tracker.Answered.Count(a => a == 0), Is.EqualTo(1), "the connection id is reused within its minute");
    }

    [Test]
    public async Task UdpOverIPv6ReadsEighteenBytePeers()
    {
        await using var tracker = new FakeUdpTracker(peers: CompactPeers6("[2001:db8::7]:6881").Bytes.ToArray(), address: IPAddress.IPv6Loopback);
        Assert.That(tracker.Url, Does.StartWith("udp://[::1]:"));
        await using var client = new UdpTrackerClient(new Uri(tracker.Url), FastOptions, 1, TimeProvider.System);
        var response = await client.AnnounceAsync(Request(Hash(1)), CancellationToken.None);
        Assert.That(response.Peers, Is.EqualTo(new[] { IPEndPoint.Parse("[2001:db8::7]:6881") }));
    }

    [Test]
    public async Task UdpConnectionIdExpiresAfterItsLifetime()
    {
        await using var tracker = new FakeUdpTracker();
        var time = new ManualTimeProvider();
        await using var client = new UdpTrackerClient(new Uri(tracker.Url), FastOptions with { UdpBaseTimeout = TimeSpan.FromSeconds(5) }, 1, time);
        await client.AnnounceAsync(Request(Hash(1)), CancellationToken.None);
        time.Advance(TimeSpan.FromSeconds(59));
        await client.AnnounceAsync(Request(Hash(1)), CancellationToken.None);
        Assert.That(tracker.Answered.Count(a => a == 0), Is.EqualTo(1));
        time.Advance(TimeSpan.FromSeconds(2));
        await client.AnnounceAsync(Request(Hash(1)), CancellationToken.None);
        Assert.That(tracker.Answered.Count(a => a == 0), Is.EqualTo(2), "a fresh connect after a minute");
    }

    [Test]
    public async Task UdpRetransmitsOnTheBep15Schedule()
    {
        await using var tracker = new FakeUdpTracker(dropFirst: 2);
        await using var client = new UdpTrackerClient(new Uri(tracker.Url), FastOptions, 1, TimeProvider.System);
        var clock = Stopwatch.StartNew();
        await client.AnnounceAsync(Request(Hash(1)), CancellationToken.None);
        // Dropped connect at 0 (waits 200 ms), dropped connect at 200 ms (waits 400 ms), answered at ~600 ms.
        Assert.That(clock.Elapsed, Is.GreaterThanOrEqualTo(TimeSpan.FromMilliseconds(550)));
        Assert.That(tracker.Received, Is.EqualTo(4), "connect ×3, announce ×1");
        Assert.That(client.PacketsSent, Is.EqualTo(4));
    }

    [Test]
    public async Task UdpSilentTrackerGivesUpAfterTheLastRetransmission()
    {
        await using var tracker = new FakeUdpTracker(silent: true);
        await using var client = new UdpTrackerClient(new Uri(tracker.Url), FastOptions, 1, TimeProvider.System);
        var clock = Stopwatch.StartNew();
        var error = Assert.ThrowsAsync<TrackerUnreachableException>(() => client.AnnounceAsync(Request(Hash(1)), CancellationToken.None));
        Assert.That(error!.Message, Does.Contain("3 attempts"));
        Assert.That(clock.Elapsed, Is.InRange(TimeSpan.FromMilliseconds(1350), TimeSpan.FromSeconds(5)), "200 + 400 + 800 ms");
        Assert.That(tracker.Received, Is.EqualTo(3));
    }

    [Test]
    public async Task UdpErrorPacketIsAFailure()
    {
        await using var tracker = new FakeUdpTracker(error: "info_hash not found");
        await using var client = new UdpTrackerClient(new Uri(tracker.Url), FastOptions, 1, TimeProvider.System);
        var error = Assert.ThrowsAsync<TrackerFailureException>(() => client.AnnounceAsync(Request(Hash(1)), CancellationToken.None));
        Assert.That(error!.Reason, Is.EqualTo("info_hash not found"));
    }

    [Test]
    public async Task HttpRetryComesFromThePipeline()
    {
        var attempts = 0;
        var body = Encode(("interval", new BInteger(60)), ("peers", CompactPeers("127.0.0.9:1")));
        await using var tracker = new FakeHttpTracker((_, stream, ct) =>
            Interlocked.Increment(ref attempts) == 1
                ? FakeHttpTracker.WriteResponseAsync(stream, "busy"u8.ToArray(), ct, status: "503 Service Unavailable")
                : FakeHttpTracker.WriteResponseAsync(stream, body, ct));
        var uri = new Uri(tracker.AnnounceUrl);
        var pipeline = TrackerResilience.CreateTrackerPipeline(uri, FastOptions, TimeProvider.System, TrackerResilience.Randomizer(new Random(1)), NullLogger.Instance);
        var client = Http(tracker);
        var response = await pipeline.ExecuteAsync(async ct => await client.AnnounceAsync(Request(Hash(1)), ct), CancellationToken.None);
        Assert.That(response.Peers, Has.Count.EqualTo(1));
        Assert.That(attempts, Is.EqualTo(2));
    }

    [Test]
    public async Task DeadFirstTierFallsOverToTheNextWithinTheBackOffSchedule()
    {
        var refusedPort = FreeTcpPortThatRefuses();
        await using var silentUdp = new FakeUdpTracker(silent: true);
        var body = Encode(("interval", new BInteger(1800)), ("peers", CompactPeers("127.0.0.7:7777")));
        await using var good = FakeHttpTracker.Answering(body);
        var tiers = new[] { new[] { $"http://127.0.0.1:{refusedPort}/announce", silentUdp.Url }, new[] { good.AnnounceUrl } };
        await using var manager = new TrackerManager(tiers, FastOptions, NullLogger<TrackerManager>.Instance, TimeProvider.System, new Random(5));
        using var cts = new CancellationTokenSource(Deadline);
        var received = new List<IPEndPoint>();
        var clock = Stopwatch.StartNew();
        var run = manager.RunAsync(e => Request(Hash(1), e), peers => { lock (received) received.AddRange(peers); }, cts.Token);
        await WaitUntilAsync(() => { lock (received) return received.Count > 0; }, Deadline, "peers from the second tier");
        var elapsed = clock.Elapsed;
        // Budget: refused HTTP (one retry after ~50 ms jittered) + silent UDP (200 + 400 + 800 ms) and some slack.
        Assert.That(elapsed, Is.LessThan(TimeSpan.FromSeconds(5)));
        Assert.That(received, Is.EqualTo(new[] { IPEndPoint.Parse("127.0.0.7:7777") }));
        Assert.That(manager.CurrentTracker, Is.EqualTo(new Uri(good.AnnounceUrl)));
        var status = manager.Status;
        Assert.That(status[0].LastError, Is.Not.Null.And.Not.Empty, "refused tracker recorded");
        Assert.That(status[1].LastError, Does.Contain("no answer"), "silent UDP tracker recorded");
        Assert.That(status[2].LastAnnounceSucceeded, Is.True);
        Assert.That(silentUdp.Received, Is.EqualTo(3), "the silent tracker got the full retransmission schedule");
        await cts.CancelAsync();
        Assert.That(async () => await run, Throws.InstanceOf<OperationCanceledException>());
    }

    [Test]
    public async Task ManagerSurvivesAGarbageTrackerAndUsesAnother()
    {
        await using var garbage = FakeHttpTracker.Answering("<html>502</html>"u8.ToArray());
        await using var good = FakeHttpTracker.Answering(Encode(("interval", new BInteger(1800)), ("peers", CompactPeers("127.0.0.8:8888"))));
        await using var manager = new TrackerManager([[garbage.AnnounceUrl], [good.AnnounceUrl]], FastOptions, NullLogger<TrackerManager>.Instance, TimeProvider.System, new Random(5));
        using var cts = new CancellationTokenSource(Deadline);
        var lists = 0;
        var run = manager.RunAsync(e => Request(Hash(1), e), _ => Interlocked.Increment(ref lists), cts.Token);
        await WaitUntilAsync(() => Volatile.Read(ref lists) == 1, Deadline, "the good tracker's peers");
        Assert.That(garbage.Requests, Has.Count.EqualTo(1), "garbage is not retried");
        Assert.That(manager.Status[0].LastError, Does.Contain("<html>502"));
        await manager.AnnounceStoppedAsync(CancellationToken.None);
        await WaitUntilAsync(() => good.Requests.Any(r => r.Contains("event=stopped")), Deadline, "stopped");
        await cts.CancelAsync();
        Assert.That(async () => await run, Throws.InstanceOf<OperationCanceledException>());
    }

    private static int FreeTcpPortThatRefuses()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }
}
