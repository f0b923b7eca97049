using P2PShare.Networking.Utp;

namespace P2PShare.Tests.Utp;

[TestFixture]
public sealed class UtpRttEstimatorTests
{
    [Test]
    public void TimeoutIsOneSecondBeforeAnySampleAndNeverBelowHalfASecond()
    {
        var rtt = new UtpRttEstimator();
        Assert.That(rtt.Timeout, Is.EqualTo(TimeSpan.FromSeconds(1)));
        rtt.AddSample(TimeSpan.FromMilliseconds(2));
        Assert.That(rtt.Timeout, Is.EqualTo(TimeSpan.FromMilliseconds(500)));
    }

    [Test]
    public void TimeoutFollowsSmoothedRttPlusFourDeviations()
    {
        var rtt = new UtpRttEstimator();
        rtt.AddSample(TimeSpan.FromMilliseconds(400));   // srtt 400, rttvar 200
        Assert.That(rtt.Timeout, Is.EqualTo(TimeSpan.FromMilliseconds(1200)));
        rtt.AddSample(TimeSpan.FromMilliseconds(400));   // rttvar 150
        Assert.That(rtt.Timeout, Is.EqualTo(TimeSpan.FromMilliseconds(1000)));
    }

    [Test]
    public void BackOffDoublesUpToAMinuteAndResets()
    {
        var rtt = new UtpRttEstimator();
        rtt.AddSample(TimeSpan.FromMilliseconds(1));
        rtt.BackOff();
        Assert.That(rtt.Timeout, Is.EqualTo(TimeSpan.FromSeconds(1)));
        rtt.BackOff();
        Assert.That(rtt.Timeout, Is.EqualTo(TimeSpan.FromSeconds(2)));
        for (var i = 0; i < 40; i++)
            rtt.BackOff();
        Assert.That(rtt.Timeout, Is.EqualTo(TimeSpan.FromSeconds(60)));
        rtt.ResetBackOff();
        Assert.That(rtt.Timeout, Is.EqualTo(TimeSpan.FromMilliseconds(500)));
    }
}
