using P2PShare.Engine;
using P2PShare.Tests.Support;

namespace P2PShare.Tests.Engine;

public class RequestRampTests
{
    private const int Block = 16 * 1024;

    [Test]
    public void Each_block_received_lets_one_more_request_out_so_the_queue_doubles_per_round_trip()
    {
        var clock = new ManualTimeProvider();
        var ramp = new RequestRamp(initialBlocks: 16, maxBlocks: 500, clock);
        // A 50 ms round trip: each round trip delivers the whole queue of the one before.
        var sizes = new List<int>();
        for (var roundTrip = 0; roundTrip < 4; roundTrip++)
        {
            var inFlight = ramp.Blocks;
            for (var i = 0; i < inFlight; i++)
                ramp.OnBlock(Block);
            clock.Advance(TimeSpan.FromMilliseconds(50));
            sizes.Add(ramp.Blocks);
        }
        TestContext.Out.WriteLine($"queue after each round trip: {string.Join(", ", sizes)}");
        Assert.That(sizes, Is.EqualTo(new[] { 32, 64, 128, 256 }));
        Assert.That(ramp.Active, Is.True);
    }

    [Test]
    public void The_queue_stops_at_the_hard_cap()
    {
        var clock = new ManualTimeProvider();
        var ramp = new RequestRamp(initialBlocks: 16, maxBlocks: 100, clock);
        for (var i = 0; i < 1000; i++)
            ramp.OnBlock(Block);
        Assert.That(ramp.Blocks, Is.EqualTo(100));
    }

    [Test]
    public void The_ramp_ends_when_a_second_brings_less_than_a_quarter_more_than_the_one_before()
    {
        var clock = new ManualTimeProvider();
        var ramp = new RequestRamp(initialBlocks: 16, maxBlocks: 500, clock);
        // Seconds of 100, 200 (growing: on), 230 blocks (+15%: the rate has levelled off).
        foreach (var blocks in new[] { 100, 200, 230 })
        {
            Assert.That(ramp.Active, Is.True, $"still ramping before the second of {blocks} blocks");
            for (var i = 0; i < blocks; i++)
            {
                ramp.OnBlock(Block);
                clock.Advance(TimeSpan.FromSeconds(1.0 / blocks));
            }
        }
        // The end shows at the first block of the next second.
        clock.Advance(TimeSpan.FromMilliseconds(10));
        ramp.OnBlock(Block);
        Assert.That(ramp.Active, Is.False);
    }

    [Test]
    public void A_steadily_growing_rate_keeps_the_ramp_on()
    {
        var clock = new ManualTimeProvider();
        var ramp = new RequestRamp(initialBlocks: 16, maxBlocks: 5000, clock);
        foreach (var blocks in new[] { 40, 80, 160, 320 })
            for (var i = 0; i < blocks; i++)
            {
                ramp.OnBlock(Block);
                clock.Advance(TimeSpan.FromSeconds(1.0 / blocks));
            }
        clock.Advance(TimeSpan.FromMilliseconds(10));
        ramp.OnBlock(Block);
        Assert.That(ramp.Active, Is.True);
        Assert.That(ramp.Blocks, Is.EqualTo(16 + 40 + 80 + 160 + 320 + 1));
    }

    [Test]
    public void Stop_ends_the_ramp()
    {
        var ramp = new RequestRamp(initialBlocks: 16, maxBlocks: 500, new ManualTimeProvider());
        ramp.Stop();
        ramp.OnBlock(Block);
        Assert.That(ramp.Active, Is.False);
        Assert.That(ramp.Blocks, Is.EqualTo(16));
    }
}
