using Polly;
using Polly.Retry;

namespace P2PShare.Networking;

/// <summary>
/// The one retry shape used against remote parties (trackers, web seeds, peers): exponential back-off from
/// <c>first</c> to <c>max</c> with jitter, so that many clients failing at once do not come back in step.
/// Callers add what is retried and what a retry does.
/// </summary>
internal static class ExponentialBackoff
{
    /// <param name="randomizer">Jitter source (0..1), thread-safe (see <see cref="Randomizer"/>).</param>
    public static RetryStrategyOptions Retry(TimeSpan first, TimeSpan max, int attempts, Func<double> randomizer,
        Func<RetryPredicateArguments<object>, ValueTask<bool>> shouldHandle, Func<OnRetryArguments<object>, ValueTask>? onRetry = null) => new()
    {
        ShouldHandle = shouldHandle,
        MaxRetryAttempts = attempts,
        BackoffType = DelayBackoffType.Exponential,
        UseJitter = true,
        Delay = first,
        MaxDelay = max,
        Randomizer = randomizer,
        OnRetry = onRetry,
    };

    /// <summary>A thread-safe view of a (not thread-safe) seeded Random, for Polly's jitter.</summary>
    public static Func<double> Randomizer(Random random) => () =>
    {
        lock (random)
            return random.NextDouble();
    };
}
