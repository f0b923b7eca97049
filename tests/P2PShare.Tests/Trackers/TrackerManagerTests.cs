using P2PShare.Tests.Support;
using System.Collections.Concurrent;
using System.Net;
using Microsoft.Extensions.Logging.Abstractions;
using P2PShare.Networking.Trackers;
using P2PShare.Protocol.Tracker;
using static P2PShare.Tests.Trackers.TrackerTestData;

namespace P2PShare.Tests.Trackers;

/// <summary>The manager's scheduling and tier logic, with in-memory trackers and a manual clock.</summary>
public class TrackerManagerTests
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(10);

    private static readonly TrackerOptions Options = new()
    {
        HttpRetryAttempts = 0,
        MinimumInterval = TimeSpan.FromSeconds(10),
        DefaultMinInterval = TimeSpan.FromSeconds(60),
        PeersWantedPollInterval = TimeSpan.FromSeconds(1),
        AllFailedBaseDelay = TimeSpan.FromSeconds(10),
        CircuitBreakerMinimumThroughput = 2,
        CircuitBreakerSamplingDuration = TimeSpan.FromHours(2),
        CircuitBreakDuration = TimeSpan.FromHours(1),
    };

    private ManualTimeProvider _time = null!;
    private Dictionary<string, FakeTrackerClient> _clients = null!;
    private ConcurrentQueue<IReadOnlyList<IPEndPoint>> _peerLists = null!;
    private CancellationTokenSource _cts = null!;

    [SetUp]
    public void SetUp()
    {
        _time = new ManualTimeProvider();
        _clients = [];
        _peerLists = new();
        _cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
    }

    [TearDown]
    public void TearDown() => _cts.Dispose();

    private TrackerManager Manager(string[][] tiers, TrackerOptions? options = null, int seed = 1) =>
        new(tiers, options ?? Options, NullLogger<TrackerManager>.Instance, _time, new Random(seed), uri =>
        {
            var client = new FakeTrackerClient(uri.ToString());
            _clients[uri.ToString()] = client;
            return client;
        });

    private FakeTrackerClient Client(string url) => _clients[new Uri(url).ToString()];

    private Task Run(TrackerManager manager, Func<bool>? peersWanted = null) =>
        manager.RunAsync(e => Request(Hash(9), e), peers => _peerLists.Enqueue(peers), _cts.Token, peersWanted);

    /// <summary>Moves the clock in small steps until the condition holds (the loop runs on other threads).</summary>
    private async Task AdvanceUntilAsync(Func<bool> condition, TimeSpan step, TimeSpan limit, string what)
    {
        var moved = TimeSpan.Zero;
        var deadline = DateTime.UtcNow + Deadline;
        while (!condition())
        {
            if (moved > limit || DateTime.UtcNow > deadline)
                Assert.Fail($"{what} did not happen within {moved} of clock time");
            await Task.Delay(5);
            _time.Advance(step);
            moved += step;
        }
    }

    [Test]
    public async Task AnnouncesStartedThenRegularlyAtTheInterval()
    {
        await using var manager = Manager([["http://a/announce"]]);
        var a = Client("http://a/announce");
        a.Behaviour = (_, _) => Task.FromResult(FakeTrackerClient.Response(100, null, "10.0.0.1:1"));
        var run = Run(manager);
        await WaitUntilAsync(() => a.Calls == 1 && _time.ActiveTimers > 0, Deadline, "started");
        Assert.That(a.Events, Is.EqualTo(new[] { AnnounceEvent.Started }));
        Assert.That(_peerLists.Single(), Is.EqualTo(new[] { IPEndPoint.Parse("10.0.0.1:1") }));

        _time.Advance(TimeSpan.FromSeconds(99));
        await Task.Delay(50);
        Assert.That(a.Calls, Is.EqualTo(1), "not before the interval");
        _time.Advance(TimeSpan.FromSeconds(1));
        await WaitUntilAsync(() => a.Calls == 2, Deadline, "regular announce");
        Assert.That(a.Events.Last(), Is.EqualTo(AnnounceEvent.None));
        var status = manager.Status.Single();
        Assert.That(status.LastAnnounceSucceeded, Is.True);
        Assert.That(status.Seeders, Is.EqualTo(1));
        Assert.That(status.LastPeerCount, Is.EqualTo(1));

        await _cts.CancelAsync();
        Assert.That(async () => await run, Throws.InstanceOf<OperationCanceledException>());
    }

    [Test]
    public async Task FallsOverToTheNextTierAndTellsItStarted()
    {
        await using var manager = Manager([["http://dead1/announce", "http://dead2/announce"], ["http://b/announce"]]);
        foreach (var dead in new[] { "http://dead1/announce", "http://dead2/announce" })
            Client(dead).Behaviour = (_, _) => throw new TrackerUnreachableException("connection refused");
        var run = Run(manager);
        await WaitUntilAsync(() => Client("http://b/announce").Calls == 1, Deadline, "fall-over");
        Assert.That(Client("http://dead1/announce").Events, Is.EqualTo(new[] { AnnounceEvent.Started }));
        Assert.That(Client("http://dead2/announce").Events, Is.EqualTo(new[] { AnnounceEvent.Started }));
        Assert.That(Client("http://b/announce").Events, Is.EqualTo(new[] { AnnounceEvent.Started }));
        Assert.That(manager.CurrentTracker, Is.EqualTo(new Uri("http://b/announce")));
        Assert.That(manager.Status.Where(s => s.Tier == 0).Select(s => s.LastError), Is.All.EqualTo("connection refused"));

        // Next round: tier 0 is asked first again (BEP 12); once its circuits open it is skipped without a call.
        await AdvanceUntilAsync(() => Client("http://b/announce").Calls == 2, TimeSpan.FromSeconds(10), TimeSpan.FromHours(1), "second round");
        Assert.That(Client("http://dead1/announce").Calls, Is.EqualTo(2));
        Assert.That(Client("http://b/announce").Events.Last(), Is.EqualTo(AnnounceEvent.None));
        await AdvanceUntilAsync(() => Client("http://b/announce").Calls == 3, TimeSpan.FromSeconds(10), TimeSpan.FromHours(1), "third round");
        Assert.That(Client("http://dead1/announce").Calls, Is.EqualTo(2), "open circuit: not called");
        Assert.That(manager.Status[0].LastError, Does.Contain("skipped"));
        await _cts.CancelAsync();
        Assert.That(async () => await run, Throws.InstanceOf<OperationCanceledException>());
    }

    [Test]
    public async Task AnsweringTrackerIsPromotedWithinItsTier()
    {
        await using var manager = Manager([["http://x/announce", "http://y/announce"]]);
        var x = Client("http://x/announce");
        var y = Client("http://y/announce");
        // Whichever the shuffle puts first fails once; the other answers and must then be asked first.
        var calls = 0;
        Task<AnnounceResponse> Behave(AnnounceRequest request, CancellationToken ct) =>
            Interlocked.Increment(ref calls) == 1 ? throw new TrackerFailureException("not now") : Task.FromResult(FakeTrackerClient.Response());
        x.Behaviour = Behave;
        y.Behaviour = Behave;
        var run = Run(manager);
        await WaitUntilAsync(() => _peerLists.Count == 1, Deadline, "one of them answers");
        var (failed, answered) = x.Calls == 1 && y.Calls == 1 && manager.CurrentTracker == y.Uri ? (x, y) : (y, x);
        Assert.That(manager.CurrentTracker, Is.EqualTo(answered.Uri));
        await AdvanceUntilAsync(() => answered.Calls == 2, TimeSpan.FromSeconds(30), TimeSpan.FromHours(1), "second round");
        Assert.That(failed.Calls, Is.EqualTo(1), "the answering tracker is now first in the tier; the other is not asked");
        await _cts.CancelAsync();
        Assert.That(async () => await run, Throws.InstanceOf<OperationCanceledException>());
    }

    [Test]
    public async Task PeersWantedBringsTheAnnounceForwardButNotBeforeMinInterval()
    {
        await using var manager = Manager([["http://a/announce"]]);
        var a = Client("http://a/announce");
        a.Behaviour = (_, _) => Task.FromResult(FakeTrackerClient.Response(1800, 120));
        var started = _time.GetUtcNow();
        var run = Run(manager, peersWanted: () => true);
        await WaitUntilAsync(() => a.Calls == 1 && _time.ActiveTimers > 0, Deadline, "started");
        await AdvanceUntilAsync(() => a.Calls == 2, TimeSpan.FromSeconds(1), TimeSpan.FromHours(1), "early announce");
        var elapsed = _time.GetUtcNow() - started;
        Assert.That(elapsed, Is.InRange(TimeSpan.FromSeconds(120), TimeSpan.FromSeconds(125)));
        await _cts.CancelAsync();
        Assert.That(async () => await run, Throws.InstanceOf<OperationCanceledException>());
    }

    [Test]
    public async Task ZeroIntervalIsRaisedToTheFloor()
    {
        await using var manager = Manager([["http://a/announce"]]);
        var a = Client("http://a/announce");
        a.Behaviour = (_, _) => Task.FromResult(FakeTrackerClient.Response(0));
        var started = _time.GetUtcNow();
        var run = Run(manager);
        await AdvanceUntilAsync(() => a.Calls == 3, TimeSpan.FromSeconds(1), TimeSpan.FromHours(1), "two regular announces");
        Assert.That(_time.GetUtcNow() - started, Is.GreaterThanOrEqualTo(TimeSpan.FromSeconds(20)));
        await _cts.CancelAsync();
        Assert.That(async () => await run, Throws.InstanceOf<OperationCanceledException>());
    }

    [Test]
    public async Task WhenEveryTrackerFailsRoundsBackOffExponentially()
    {
        await using var manager = Manager([["http://a/announce"]], Options with { CircuitBreakerMinimumThroughput = 100 });
        var a = Client("http://a/announce");
        var callTimes = new ConcurrentQueue<DateTimeOffset>();
        a.Behaviour = (_, _) =>
        {
            callTimes.Enqueue(_time.GetUtcNow());
            throw new TrackerProtocolException("garbage");
        };
        var run = Run(manager);
        await AdvanceUntilAsync(() => a.Calls >= 5, TimeSpan.FromSeconds(1), TimeSpan.FromHours(2), "five rounds");
        var times = callTimes.ToArray();
        var gaps = times.Zip(times.Skip(1), (x, y) => (y - x).TotalSeconds).ToArray();
        Assert.That(gaps[0], Is.GreaterThanOrEqualTo(1), "a pause after the first round");
        Assert.That(gaps[3], Is.GreaterThan(gaps[0] * 2), $"growing pauses: {string.Join(", ", gaps)}");
        Assert.That(a.Events, Is.All.EqualTo(AnnounceEvent.Started), "still 'started' until someone answers");
        await _cts.CancelAsync();
        Assert.That(async () => await run, Throws.InstanceOf<OperationCanceledException>());
    }

    [Test]
    public async Task CompletedGoesToTheCurrentTrackerAndStoppedToThoseWeStartedWith()
    {
        await using var manager = Manager([["http://a/announce"], ["http://b/announce"]]);
        var run = Run(manager);
        var a = Client("http://a/announce");
        var b = Client("http://b/announce");
        await WaitUntilAsync(() => a.Calls == 1, Deadline, "started");
        await manager.AnnounceCompletedAsync(_cts.Token);
        await manager.AnnounceStoppedAsync(_cts.Token);
        Assert.That(a.Events, Is.EqualTo(new[] { AnnounceEvent.Started, AnnounceEvent.Completed, AnnounceEvent.Stopped }));
        Assert.That(b.Calls, Is.Zero);
        await _cts.CancelAsync();
        Assert.That(async () => await run, Throws.InstanceOf<OperationCanceledException>());
    }

    [Test]
    public async Task CompletedAndStoppedBeforeRunAreHarmless()
    {
        await using var manager = Manager([["http://a/announce"]]);
        await manager.AnnounceCompletedAsync(_cts.Token);
        await manager.AnnounceStoppedAsync(_cts.Token);
        Assert.That(Client("http://a/announce").Calls, Is.Zero);
    }

    [Test]
    public async Task StoppedIsBoundedWhenTheTrackerHangs()
    {
        var options = Options with { StoppedTimeout = TimeSpan.FromSeconds(5) };
        await using var manager = Manager([["http://a/announce"]], options);
        var run = Run(manager);
        var a = Client("http://a/announce");
        await WaitUntilAsync(() => a.Calls == 1, Deadline, "started");
        a.Behaviour = async (_, ct) =>
        {
            await Task.Delay(Timeout.Infinite, ct);
            throw new InvalidOperationException("unreachable");
        };
        var stopped = manager.AnnounceStoppedAsync(CancellationToken.None);
        await WaitUntilAsync(() => a.Calls == 2, Deadline, "stopped sent");
        Assert.That(stopped.IsCompleted, Is.False);
        _time.Advance(TimeSpan.FromSeconds(5));
        await stopped.WaitAsync(Deadline);
        await _cts.CancelAsync();
        Assert.That(async () => await run, Throws.InstanceOf<OperationCanceledException>());
    }

    [Test]
    public async Task UnsupportedAndInvalidUrlsAreReportedNotFatal()
    {
        await using var manager = new TrackerManager([["wss://x/announce", "not a url", "udp://nohost"], ["http://a/announce"]],
            Options, NullLogger<TrackerManager>.Instance, _time, new Random(1), uri => uri.Scheme == "http" ? new FakeTrackerClient(uri.ToString()) : null);
        var status = manager.Status;
        Assert.That(status, Has.Count.EqualTo(4));
        Assert.That(status[0].LastError, Does.Contain("unsupported"));
        Assert.That(status[1].LastError, Does.Contain("not a valid URL"));
        var run = Run(manager);
        await WaitUntilAsync(() => _peerLists.Count == 1, Deadline, "http tracker answers");
        await _cts.CancelAsync();
        Assert.That(async () => await run, Throws.InstanceOf<OperationCanceledException>());
    }

    [Test]
    public async Task NoUsableTrackerReturnsAtOnce()
    {
        await using var manager = new TrackerManager([["wss://x/announce"]], Options, NullLogger<TrackerManager>.Instance, _time, new Random(1));
        await Run(manager).WaitAsync(Deadline);
        Assert.That(_peerLists, Is.Empty);
    }
}
