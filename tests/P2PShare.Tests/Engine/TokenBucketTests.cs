using P2PShare.Networking;
using P2PShare.Tests.Support;

namespace P2PShare.Tests.Engine;

public class TokenBucketTests
{
    [Test]
    public async Task Within_the_burst_nothing_waits_and_beyond_it_the_caller_waits_for_the_debt()
    {
        var clock = new ManualClock();
        var bucket = new TokenBucket(1024 * 1024, clock);
        Assert.That(bucket.ConsumeAsync(256 * 1024, CancellationToken.None).IsCompleted, Is.True);
        var waiting = bucket.ConsumeAsync(512 * 1024, CancellationToken.None);
        Assert.That(waiting.IsCompleted, Is.False, "half a second of debt");
        // The pause is a real timer of the debt's length (about 0.25 s here), never a spin.
        await waiting.AsTask().WaitAsync(TimeSpan.FromSeconds(5));
    }
}
