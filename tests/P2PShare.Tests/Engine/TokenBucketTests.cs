using P2PShare.Networking;
using P2PShare.Tests.Support;

namespace P2PShare.Tests.Engine;

public class TokenBucketTests
{
    [Test]
    public async Task Within_the_burst_nothing_waits_and_beyond_it_the_caller_waits_for_the_debt()
    {
        var clock = new ManualTimeProvider();
        var bucket = new TokenBucket(1024 * 1024, clock);
        Assert.That(bucket.ConsumeAsync(256 * 1024, CancellationToken.None).IsCompleted, Is.True);
        var waiting = bucket.ConsumeAsync(512 * 1024, CancellationToken.None);
        Assert.That(waiting.IsCompleted, Is.False, "half a second of debt");
        // The pause is a timer of the debt's length (512 KiB at 1 MiB/s: 0.5 s), never a spin: it ends when the clock passes it.
        clock.Advance(TimeSpan.FromSeconds(0.4));
        Assert.That(waiting.IsCompleted, Is.False, "still in debt after 0.4 s");
        clock.Advance(TimeSpan.FromSeconds(0.15));
        await waiting.AsTask().WaitAsync(TimeSpan.FromSeconds(5));
    }
}
