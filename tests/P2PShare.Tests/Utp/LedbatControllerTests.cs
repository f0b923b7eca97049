using P2PShare.Networking.Utp;
using P2PShare.Tests.Support;

namespace P2PShare.Tests.Utp;

[TestFixture]
public sealed class LedbatControllerTests
{
    private const int Packet = 1400;

    private static LedbatController Create(ManualTimeProvider clock) => new(clock, Packet, 1 << 20, 10 * Packet);

    /// <summary>Leaves slow start with a loss so the linear (BEP 29) gain is what is measured.</summary>
    private static LedbatController CreateAfterSlowStart(ManualTimeProvider clock)
    {
        var controller = new LedbatController(clock, Packet, 1 << 20, 20 * Packet);
        controller.OnLoss();
        return controller;
    }

    [Test]
    public void BelowTargetTheWindowGrowsByAtMostThreeThousandBytesPerWindowAcked()
    {
        var clock = new ManualTimeProvider();
        var controller = CreateAfterSlowStart(clock);
        controller.OnAck(1000, 50_000, windowLimited: true);     // base delay = this sample: queuing 0
        var before = controller.Window;
        controller.OnAck(before, 50_000, windowLimited: true);   // a whole window acked at zero queuing delay
        Assert.That(controller.Window - before, Is.InRange(2900, 3100));
    }

    [Test]
    public void AboveTargetTheWindowShrinks()
    {
        var clock = new ManualTimeProvider();
        var controller = CreateAfterSlowStart(clock);
        controller.OnAck(1000, 10_000, windowLimited: true);     // base 10 ms
        var before = controller.Window;
        controller.OnAck(before, 310_000, windowLimited: true);  // 300 ms queuing: three times the target
        Assert.That(controller.QueuingDelayMicroseconds, Is.EqualTo(300_000));
        Assert.That(controller.Window, Is.EqualTo(before - 6000).Within(100), "gain = 3000 × (100 − 300) / 100");
    }

    [Test]
    public void NotWindowLimitedMeansNoGrowth()
    {
        var clock = new ManualTimeProvider();
        var controller = Create(clock);
        var before = controller.Window;
        controller.OnAck(before, 10_000, windowLimited: false);
        Assert.That(controller.Window, Is.EqualTo(before));
    }

    [Test]
    public void SlowStartDoublesPerWindowUntilTheFirstLoss()
    {
        var clock = new ManualTimeProvider();
        var controller = Create(clock);
        var before = controller.Window;
        controller.OnAck(before, 10_000, windowLimited: true);
        Assert.That(controller.Window, Is.EqualTo(2 * before));
        controller.OnLoss();
        Assert.That(controller.Window, Is.EqualTo(before));
        Assert.That(controller.InSlowStart, Is.False);
    }

    [Test]
    public void TimeoutDropsToOnePacketAndLossNeverGoesBelowIt()
    {
        var clock = new ManualTimeProvider();
        var controller = Create(clock);
        controller.OnTimeout();
        Assert.That(controller.Window, Is.EqualTo(Packet));
        controller.OnLoss();
        Assert.That(controller.Window, Is.EqualTo(Packet));
    }

    [Test]
    public void BaseDelayIsTheMinimumOverTwoMinutesThenTheOldMinimumAgesOut()
    {
        var clock = new ManualTimeProvider();
        var controller = Create(clock);
        controller.OnAck(100, 20_000, windowLimited: false);
        clock.Advance(TimeSpan.FromSeconds(30));
        controller.OnAck(100, 50_000, windowLimited: false);
        Assert.That(controller.BaseDelayMicroseconds, Is.EqualTo(20_000));
        Assert.That(controller.QueuingDelayMicroseconds, Is.EqualTo(30_000));
        clock.Advance(TimeSpan.FromSeconds(100));   // 130 s after the 20 ms sample: its bucket is gone
        controller.OnAck(100, 60_000, windowLimited: false);
        Assert.That(controller.BaseDelayMicroseconds, Is.EqualTo(50_000));
    }

    [Test]
    public void TimestampDifferencesThatWrapAroundAreOrderedCorrectly()
    {
        var clock = new ManualTimeProvider();
        var controller = Create(clock);
        controller.OnAck(100, uint.MaxValue - 1000, windowLimited: false);
        controller.OnAck(100, 4000, windowLimited: false);   // 5001 µs later after the wrap
        Assert.That(controller.BaseDelayMicroseconds, Is.EqualTo(uint.MaxValue - 1000));
        Assert.That(controller.QueuingDelayMicroseconds, Is.EqualTo(5001));
    }
}
