using P2PShare.Engine;
using P2PShare.Tests.Support;

namespace P2PShare.Tests.Engine;

public class RateEstimatorTests
{
    [Test]
    public void Rate_is_the_average_over_the_window_of_completed_seconds()
    {
        var clock = new ManualTimeProvider();
        var rate = new RateEstimator(clock, windowSeconds: 5);
        for (var second = 0; second < 5; second++)
        {
            rate.Add(1000);
            clock.Advance(TimeSpan.FromSeconds(1));
        }
        Assert.That(rate.BytesPerSecond, Is.EqualTo(1000).Within(0.001));
        Assert.That(rate.Total, Is.EqualTo(5000));
    }

    [Test]
    public void An_idle_peer_decays_to_zero()
    {
        var clock = new ManualTimeProvider();
        var rate = new RateEstimator(clock, windowSeconds: 5);
        rate.Add(50_000);
        clock.Advance(TimeSpan.FromSeconds(1));
        Assert.That(rate.BytesPerSecond, Is.GreaterThan(0));
        clock.Advance(TimeSpan.FromSeconds(10));
        Assert.That(rate.BytesPerSecond, Is.Zero);
        Assert.That(rate.Total, Is.EqualTo(50_000));
    }
}
