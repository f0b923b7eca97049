using Microsoft.Extensions.Logging.Abstractions;
using P2PShare.Engine.WebSeeds;
using P2PShare.Networking.WebSeeds;
using P2PShare.Tests.Support;
using Polly;
using Polly.Timeout;

namespace P2PShare.Tests.WebSeeds;

/// <summary>A web seed's standing (failures, bad pieces, drop) and its Polly pipelines (back-off with jitter, timeout), on a manual clock.</summary>
[CancelAfter(20_000)]
public class WebSeedBackoffTests
{
    private static readonly WebSeedOptions Options = new()
    {
        FirstBackoff = TimeSpan.FromSeconds(1), MaxBackoff = TimeSpan.FromSeconds(10), MaxConsecutiveFailures = 6, MaxHashFailures = 3,
        RequestTimeout = TimeSpan.FromSeconds(5),
    };

    private static readonly Uri Url = new("http://127.0.0.1:1/x");

    /// <summary>Runs a seed whose every attempt fails until it is dropped; returns the back-off before each retry, as the seed's pause.</summary>
    private static async Task<(List<double> Delays, Exception Error, int Attempts, WebSeed Seed)> FailUntilDroppedAsync(int randomSeed)
    {
        var time = new ManualTimeProvider();
        var gate = new object();
        var seed = new WebSeed(Url, 10, Options, time);
        var random = new Random(randomSeed);
        var pipeline = WebSeedResilience.CreateRetryPipeline(gate, seed, Options, time, random.NextDouble, NullLogger.Instance);
        var attempts = 0;
        var run = pipeline.ExecuteAsync(_ =>
        {
            lock (gate)
            {
                attempts++;
                seed.OnFailure($"{Url}: HTTP 500 Internal Server Error");
            }
            throw new WebSeedException($"{Url}: HTTP 500 Internal Server Error");
        }).AsTask();
        var delays = new List<double>();
        while (true)
        {
            // Each failure is followed by a retry delay (a timer on our clock) or by the end of the run.
            Assert.That(SpinWait.SpinUntil(() => run.IsCompleted || time.ActiveTimers > 0, TimeSpan.FromSeconds(5)), "a retry timer or the end");
            if (run.IsCompleted)
                break;
            var wait = seed.WaitTime();
            delays.Add(wait.TotalSeconds);
            var before = Volatile.Read(ref attempts);
            // Not a moment early: just short of the delay nothing happens.
            time.Advance(wait - TimeSpan.FromMilliseconds(1));
            Assert.That(Volatile.Read(ref attempts), Is.EqualTo(before), "no retry before the back-off is over");
            time.Advance(TimeSpan.FromMilliseconds(1));
            Assert.That(SpinWait.SpinUntil(() => Volatile.Read(ref attempts) > before || run.IsCompleted, TimeSpan.FromSeconds(5)), "the retry");
        }
        var error = Assert.CatchAsync(() => run)!;
        return (delays, error, attempts, seed);
    }

    [Test]
    public async Task FailuresInARowBackOffExponentiallyWithJitterUntilTheSeedIsDropped()
    {
        var (delays, error, attempts, seed) = await FailUntilDroppedAsync(randomSeed: 5);
        TestContext.Out.WriteLine($"back-off before each retry (s): {string.Join(", ", delays.Select(d => d.ToString("0.000")))}");
        Assert.Multiple(() =>
        {
            Assert.That(attempts, Is.EqualTo(6), "six failures in a row drop the seed; no seventh request");
            Assert.That(delays, Has.Count.EqualTo(5));
            Assert.That(delays, Is.All.GreaterThan(0).And.All.LessThanOrEqualTo(10.0), "capped at MaxBackoff");
            Assert.That(delays, Is.Not.EqualTo(new[] { 1.0, 2, 4, 8, 10 }), "jittered, not the plain doubling");
            Assert.That(error, Is.TypeOf<WebSeedException>().With.Message.Contains("HTTP 500"));
            Assert.That(seed.DisabledReason, Is.EqualTo($"6 failures in a row, last: {Url}: HTTP 500 Internal Server Error"));
            Assert.That(seed.Note, Does.StartWith("dropped: 6 failures in a row"));
        });
        // The same random seed gives the same delays: the jitter comes only from the injected randomizer.
        Assert.That((await FailUntilDroppedAsync(randomSeed: 5)).Delays, Is.EqualTo(delays));
    }

    [Test]
    public async Task TheBackOffRoughlyDoublesOnAverage()
    {
        const int runs = 40;
        var sums = new double[5];
        for (var run = 0; run < runs; run++)
        {
            var (delays, _, _, _) = await FailUntilDroppedAsync(randomSeed: 100 + run);
            for (var i = 0; i < delays.Count; i++)
                sums[i] += delays[i];
        }
        var means = sums.Select(s => s / runs).ToArray();
        TestContext.Out.WriteLine($"mean back-off over {runs} runs (s): {string.Join(", ", means.Select(m => m.ToString("0.00")))}");
        // Before the 10 s cap: about 1, 2, 4 s (Polly's decorrelated jitter keeps the exponential trend).
        for (var i = 0; i < 3; i++)
            Assert.That(means[i], Is.InRange(0.5 * Math.Pow(2, i), 2 * Math.Pow(2, i)), $"retry {i + 1}");
        Assert.That(means[2], Is.GreaterThan(means[0] * 2), "grows");
    }

    [Test]
    public void OnlyWebSeedFailuresAreRetried()
    {
        var seed = new WebSeed(Url, 10, Options, new ManualTimeProvider());
        var pipeline = WebSeedResilience.CreateRetryPipeline(new object(), seed, Options, new ManualTimeProvider(), () => 0.5, NullLogger.Instance);
        var attempts = 0;
        Assert.Throws<InvalidOperationException>(() => pipeline.Execute(() =>
        {
            attempts++;
            throw new InvalidOperationException("a bug, not the server");
        }));
        Assert.That(attempts, Is.EqualTo(1));
    }

    [Test]
    public async Task AStalledFetchTimesOutAfterTheRequestTimeout()
    {
        var time = new ManualTimeProvider();
        var timeout = WebSeedResilience.CreateTimeoutPipeline(Options, time);
        var fetch = timeout.ExecuteAsync(async token => await Task.Delay(Timeout.InfiniteTimeSpan, time, token)).AsTask();
        Assert.That(SpinWait.SpinUntil(() => time.ActiveTimers > 0, TimeSpan.FromSeconds(5)));
        time.Advance(TimeSpan.FromSeconds(4.9));
        Assert.That(fetch.IsCompleted, Is.False, "still waiting before the timeout");
        time.Advance(TimeSpan.FromSeconds(0.2));
        var error = Assert.CatchAsync(() => fetch);
        Assert.That(error, Is.TypeOf<TimeoutRejectedException>());
        await Task.CompletedTask;
    }

    [Test]
    public void AVerifiedPieceResetsTheFailureCount()
    {
        var seed = new WebSeed(Url, 10, Options, new ManualTimeProvider());
        for (var i = 0; i < 5; i++)
            seed.OnFailure("timeout");
        Assert.That(seed.Note, Is.EqualTo("5 failures in a row, last: timeout"));
        seed.OnPieceVerified(0, 1000);
        Assert.That(seed.Note, Is.Null);
        seed.OnFailure("timeout");
        Assert.Multiple(() =>
        {
            Assert.That(seed.IsDisabled, Is.False);
            Assert.That(seed.ConsecutiveFailures, Is.EqualTo(1));
            Assert.That(seed.VerifiedBytes, Is.EqualTo(1000));
        });
    }

    [Test]
    public void APauseHoldsEveryLoopOfTheSeedAndALaterEndWins()
    {
        var time = new ManualTimeProvider();
        var seed = new WebSeed(Url, 10, Options, time);
        Assert.That(seed.WaitTime(), Is.EqualTo(TimeSpan.Zero));
        seed.PauseFor(TimeSpan.FromSeconds(4));
        seed.PauseFor(TimeSpan.FromSeconds(1));
        Assert.That(seed.WaitTime(), Is.EqualTo(TimeSpan.FromSeconds(4)));
        time.Advance(TimeSpan.FromSeconds(4));
        Assert.That(seed.WaitTime(), Is.EqualTo(TimeSpan.Zero));
    }

    [Test]
    public void APieceFailingItsHashIsNeverAskedAgainAndThreeDropTheSeed()
    {
        var seed = new WebSeed(Url, 10, Options, new ManualTimeProvider());
        var verdict = seed.AwaitVerdict(4);
        seed.OnPieceFailed(4);
        Assert.Multiple(() =>
        {
            Assert.That(verdict.IsCompletedSuccessfully && !verdict.Result, Is.True, "the fetch loop learns the piece was bad");
            Assert.That(seed.Has[4], Is.False);
            Assert.That(seed.Has.CountSet, Is.EqualTo(9));
            Assert.That(seed.ConsecutiveFailures, Is.EqualTo(1), "counts as a failure (the retry pipeline backs off)");
        });
        seed.OnPieceFailed(5);
        Assert.That(seed.IsDisabled, Is.False);
        seed.OnPieceFailed(6);
        Assert.That(seed.DisabledReason, Is.EqualTo("3 pieces failed their hash check"));
    }
}
