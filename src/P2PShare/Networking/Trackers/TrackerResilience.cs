using Microsoft.Extensions.Logging;
using P2PShare.Protocol.Tracker;
using Polly;
using Polly.CircuitBreaker;
using Polly.Retry;
using Polly.Timeout;

namespace P2PShare.Networking.Trackers;

/// <summary>The Polly pipelines that give tracker requests their timeouts, retries and circuit breakers.</summary>
internal static class TrackerResilience
{
    /// <summary>
    /// One tracker's pipeline. HTTP: retry (exponential back-off with jitter) → circuit breaker → timeout.
    /// UDP: circuit breaker only, as BEP 15's retransmission schedule already is its retry and timeout.
    /// A refusal ('failure reason') is an answer: it is neither retried nor counted against the tracker.
    /// </summary>
    public static ResiliencePipeline CreateTrackerPipeline(Uri uri, TrackerOptions options, TimeProvider time, Func<double> randomizer, ILogger logger)
    {
        var isHttp = uri.Scheme is "http" or "https";
        var builder = new ResiliencePipelineBuilder { TimeProvider = time, Name = "tracker", InstanceName = uri.ToString() };
        if (isHttp && options.HttpRetryAttempts > 0)
        {
            builder.AddRetry(ExponentialBackoff.Retry(options.RetryBaseDelay, options.RetryMaxDelay, options.HttpRetryAttempts, randomizer,
                new PredicateBuilder().Handle<TrackerUnreachableException>().Handle<TimeoutRejectedException>(),
                args =>
                {
                    logger.LogDebug("Tracker {Tracker}: retry {Attempt} in {Delay} after {Error}", uri, args.AttemptNumber + 1, args.RetryDelay, args.Outcome.Exception?.Message);
                    return default;
                }));
        }
        builder.AddCircuitBreaker(new CircuitBreakerStrategyOptions
        {
            ShouldHandle = new PredicateBuilder()
                .Handle<TrackerUnreachableException>()
                .Handle<TrackerProtocolException>()
                .Handle<TimeoutRejectedException>(),
            FailureRatio = 1.0,
            MinimumThroughput = Math.Max(2, options.CircuitBreakerMinimumThroughput),
            SamplingDuration = options.CircuitBreakerSamplingDuration,
            BreakDuration = options.CircuitBreakDuration,
            OnOpened = args =>
            {
                logger.LogWarning("Tracker {Tracker} keeps failing; skipping it for {Duration}", uri, args.BreakDuration);
                return default;
            },
        });
        if (isHttp)
            builder.AddTimeout(options.HttpTimeout);
        return builder.Build();
    }

    /// <summary>Spaces out whole announce rounds while no tracker of any tier answers: doubling, with jitter, forever.</summary>
    public static ResiliencePipeline CreateAllTrackersFailedPipeline(TrackerOptions options, TimeProvider time, Func<double> randomizer, ILogger logger)
    {
        return new ResiliencePipelineBuilder { TimeProvider = time, Name = "all-trackers" }
            .AddRetry(ExponentialBackoff.Retry(options.AllFailedBaseDelay, options.AllFailedMaxDelay, int.MaxValue, randomizer,
                new PredicateBuilder().Handle<AllTrackersFailedException>(),
                args =>
                {
                    logger.LogWarning("No tracker answered; next round in {Delay}", args.RetryDelay);
                    return default;
                }))
            .Build();
    }

    /// <summary>A thread-safe view of a (not thread-safe) seeded Random, for Polly's jitter.</summary>
    public static Func<double> Randomizer(Random random) => ExponentialBackoff.Randomizer(random);

    /// <summary>One line describing why a tracker request failed, for logs and status.</summary>
    public static string Describe(Exception error) => error switch
    {
        BrokenCircuitException => "skipped: failed repeatedly, waiting before trying again",
        TimeoutRejectedException timeout => $"timed out after {timeout.Timeout.TotalSeconds:0.#} s",
        TrackerException tracker => tracker.Message,
        _ => $"{error.GetType().Name}: {error.Message}",
    };
}
