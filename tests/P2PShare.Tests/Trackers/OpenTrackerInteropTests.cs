using System.Net;
using Microsoft.Extensions.Logging.Abstractions;
using P2PShare.Metainfo;
using P2PShare.Networking.Trackers;
using P2PShare.Protocol.Tracker;
using P2PShare.Tests.Support;
using static P2PShare.Tests.Trackers.TrackerTestData;

namespace P2PShare.Tests.Trackers;

/// <summary>Our HTTP and UDP clients against a real opentracker on 127.0.0.1.</summary>
[Category("Interop")]
[NonParallelizable]
public class OpenTrackerInteropTests
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(15);
    private static readonly TrackerOptions Options = new() { UdpBaseTimeout = TimeSpan.FromMilliseconds(500), UdpMaxRetransmissions = 3, HttpTimeout = TimeSpan.FromSeconds(5) };

    private OpenTrackerInstance? _tracker;
    private HttpClient _http = null!;

    [SetUp]
    public async Task SetUp()
    {
        _http = HttpTrackerClient.CreateHttpClient(Options);
        _tracker = await OpenTrackerInstance.StartAsync();
    }

    [TearDown]
    public async Task TearDown()
    {
        if (_tracker is not null)
            await _tracker.DisposeAsync();
        _http.Dispose();
    }

    private ITrackerClient Client(bool udp, uint key) => udp
        ? new UdpTrackerClient(new Uri(_tracker!.UdpAnnounceUrl), Options, key, TimeProvider.System)
        : new HttpTrackerClient(new Uri(_tracker!.HttpAnnounceUrl), _http, Options, key);

    [TestCase(false)]
    [TestCase(true)]
    public async Task AnnounceRegistersUsAndStoppedRemovesUs(bool udp)
    {
        var hash = new InfoHash(System.Security.Cryptography.RandomNumberGenerator.GetBytes(20));
        var first = Client(udp, 1);
        var second = Client(udp, 2);
        try
        {
            // Returns once the tracker has re-read its whitelist and accepts the hash (HTTP and UDP share the list).
            await _tracker!.WhitelistAsync(hash.Hex);
            await first.AnnounceAsync(Request(hash, AnnounceEvent.Started, PeerId("-PSaaaa-"), port: 40001), CancellationToken.None);

            var seen = await second.AnnounceAsync(Request(hash, AnnounceEvent.Started, PeerId("-PSbbbb-"), port: 40002), CancellationToken.None);
            Assert.That(seen.Peers, Does.Contain(new IPEndPoint(IPAddress.Loopback, 40001)), $"compact list from opentracker: {string.Join(", ", seen.Peers)}");
            Assert.That(seen.Leechers, Is.EqualTo(2), "both of us, with bytes left, are leechers");
            Assert.That(seen.Interval, Is.GreaterThan(TimeSpan.Zero));

            var scrape = await second.ScrapeAsync(hash, CancellationToken.None);
            Assert.That(scrape.Leechers, Is.EqualTo(2));

            await first.AnnounceAsync(Request(hash, AnnounceEvent.Stopped, PeerId("-PSaaaa-"), port: 40001), CancellationToken.None);
            var after = await second.AnnounceAsync(Request(hash, AnnounceEvent.None, PeerId("-PSbbbb-"), port: 40002), CancellationToken.None);
            Assert.That(after.Peers, Does.Not.Contain(new IPEndPoint(IPAddress.Loopback, 40001)));
            Assert.That(after.Leechers, Is.EqualTo(1));
        }
        finally
        {
            (first as IDisposable)?.Dispose();
            (second as IDisposable)?.Dispose();
        }
    }

    [Test]
    public async Task ManagerAnnouncesStartedAndStoppedThroughTiers()
    {
        var hash = new InfoHash(System.Security.Cryptography.RandomNumberGenerator.GetBytes(20));
        await _tracker!.WhitelistAsync(hash.Hex);
        var probe = Client(udp: false, 9);
        await probe.AnnounceAsync(Request(hash, AnnounceEvent.Started, PeerId("-PSprob-"), port: 40009), CancellationToken.None);

        await using var manager = new TrackerManager([[_tracker.UdpAnnounceUrl], [_tracker.HttpAnnounceUrl]], Options, NullLogger<TrackerManager>.Instance, TimeProvider.System, new Random(1));
        using var cts = new CancellationTokenSource(Deadline);
        IReadOnlyList<IPEndPoint>? peers = null;
        var run = manager.RunAsync(e => Request(hash, e, PeerId("-PSmgr0-"), port: 40010), list => peers = list, cts.Token);
        await WaitUntilAsync(() => peers is not null, Deadline, "the manager's first peer list");
        Assert.That(peers, Does.Contain(new IPEndPoint(IPAddress.Loopback, 40009)));
        Assert.That(manager.CurrentTracker!.Scheme, Is.EqualTo("udp"), "tier 1 (UDP) answered");

        var withManager = await probe.AnnounceAsync(Request(hash, AnnounceEvent.None, PeerId("-PSprob-"), port: 40009), CancellationToken.None);
        Assert.That(withManager.Peers, Does.Contain(new IPEndPoint(IPAddress.Loopback, 40010)));
        await manager.AnnounceStoppedAsync(CancellationToken.None);
        var withoutManager = await probe.AnnounceAsync(Request(hash, AnnounceEvent.None, PeerId("-PSprob-"), port: 40009), CancellationToken.None);
        Assert.That(withoutManager.Peers, Does.Not.Contain(new IPEndPoint(IPAddress.Loopback, 40010)));
        await cts.CancelAsync();
        Assert.That(async () => await run, Throws.InstanceOf<OperationCanceledException>());
    }
}
