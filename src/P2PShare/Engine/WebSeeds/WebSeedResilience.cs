using Microsoft.Extensions.Logging;
using P2PShare.Networking;
using P2PShare.Networking.WebSeeds;
using Polly;
using Polly.Retry;
using Polly.Timeout;

namespace P2PShare.Engine.WebSeeds;

/// <summary>
/// The Polly pipelines of web seeds. Per seed, a retry pipeline around one fetch attempt (pick a piece, fetch it, wait
/// for its hash check): a <see cref="WebSeedException"/> is retried after an exponential back-off with jitter, which
/// also pauses the seed's other fetch loops, until the seed is dropped (failures in a row or bad pieces, counted in
/// <see cref="WebSeed"/>). Shared by all seeds, a timeout pipeline bounds each piece's HTTP requests.
/// </summary>
internal static class WebSeedResilience
{
    /// <param name="gate">The session's lock, which guards <paramref name="seed"/>.</param>
    /// <param name="randomizer">Jitter source (0..1), thread-safe.</param>
    public static ResiliencePipeline CreateRetryPipeline(object gate, WebSeed seed, WebSeedOptions options, TimeProvider time, Func<double> randomizer,
        ILogger logger)
    {
        return new ResiliencePipelineBuilder { TimeProvider = time, Name = "web-seed", InstanceName = seed.Url.ToString() }
            // The seed's own count drops it first; the attempt limit only bounds one chain if successes elsewhere keep resetting that count.
            .AddRetry(ExponentialBackoff.Retry(options.FirstBackoff, options.MaxBackoff, Math.Max(1, options.MaxConsecutiveFailures), randomizer,
                args =>
                {
                    if (args.Outcome.Exception is not WebSeedException)
                        return PredicateResult.False();
                    lock (gate)
                        return new ValueTask<bool>(!seed.IsDisabled);
                },
                args =>
                {
                    lock (gate)
                        seed.PauseFor(args.RetryDelay);
                    logger.LogWarning("Web seed {Url:l} failed: {Reason:l}; retrying in {Delay:0.0} s", seed.Url.ToString(),
                        args.Outcome.Exception?.Message, args.RetryDelay.TotalSeconds);
                    return default;
                }))
            .Build();
    }

    /// <summary>Bounds one piece's fetch; a stalled server ends in a <see cref="TimeoutRejectedException"/>.</summary>
    public static ResiliencePipeline CreateTimeoutPipeline(WebSeedOptions options, TimeProvider time) =>
        new ResiliencePipelineBuilder { TimeProvider = time, Name = "web-seed-timeout" }.AddTimeout(options.RequestTimeout).Build();
}
