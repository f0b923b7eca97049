using P2PShare.Engine.WebSeeds;
using P2PShare.Tests.Support;

namespace P2PShare.Tests.WebSeeds;

public class WebSeedBackoffTests
{
    private static readonly WebSeedOptions Options = new()
    {
        FirstBackoff = TimeSpan.FromSeconds(1), MaxBackoff = TimeSpan.FromSeconds(10), MaxConsecutiveFailures = 6, MaxHashFailures = 3,
    };

    [Test]
    public void FailuresInARowDoubleTheWaitUpToTheCapThenDropTheSeed()
    {
        var time = new ManualTimeProvider();
        var seed = new WebSeed(new Uri("http://127.0.0.1:1/x"), 10, Options, time);
        Assert.That(seed.WaitTime(), Is.EqualTo(TimeSpan.Zero));
        var waits = new List<double>();
        for (var i = 0; i < 5; i++)
        {
            seed.OnFailure("HTTP 500");
            waits.Add(seed.WaitTime().TotalSeconds);
            time.Advance(seed.WaitTime());
            Assert.That(seed.WaitTime(), Is.EqualTo(TimeSpan.Zero));
        }
        Assert.That(waits, Is.EqualTo(new[] { 1.0, 2, 4, 8, 10 }).Within(0.001));
        Assert.That(seed.IsDisabled, Is.False);
        seed.OnFailure("HTTP 500");
        Assert.That(seed.DisabledReason, Is.EqualTo("6 failures in a row, last: HTTP 500"));
    }

    [Test]
    public void AVerifiedPieceResetsTheFailureCount()
    {
        var time = new ManualTimeProvider();
        var seed = new WebSeed(new Uri("http://127.0.0.1:1/x"), 10, Options, time);
        for (var i = 0; i < 5; i++)
            seed.OnFailure("timeout");
        seed.OnPieceVerified(0, 1000);
        seed.OnFailure("timeout");
        Assert.That(seed.IsDisabled, Is.False);
        Assert.That(seed.WaitTime(), Is.EqualTo(TimeSpan.FromSeconds(1)));
        Assert.That(seed.VerifiedBytes, Is.EqualTo(1000));
    }

    [Test]
    public void APieceFailingItsHashIsNeverAskedAgainAndThreeDropTheSeed()
    {
        var seed = new WebSeed(new Uri("http://127.0.0.1:1/x"), 10, Options, new ManualTimeProvider());
        var verdict = seed.AwaitVerdict(4);
        seed.OnPieceFailed(4);
        Assert.Multiple(() =>
        {
            Assert.That(verdict.IsCompletedSuccessfully && !verdict.Result, Is.True, "the fetch loop learns the piece was bad");
            Assert.That(seed.Has[4], Is.False);
            Assert.That(seed.Has.CountSet, Is.EqualTo(9));
            Assert.That(seed.WaitTime(), Is.GreaterThan(TimeSpan.Zero), "backs off");
        });
        seed.OnPieceFailed(5);
        Assert.That(seed.IsDisabled, Is.False);
        seed.OnPieceFailed(6);
        Assert.That(seed.DisabledReason, Is.EqualTo("3 pieces failed their hash check"));
    }
}
