using System.Diagnostics;

namespace P2PShare.Tests.Support;

/// <summary>Bounded polling of a condition: the way tests wait, instead of fixed sleeps.</summary>
public static class Eventually
{
    public static readonly TimeSpan DefaultPollInterval = TimeSpan.FromMilliseconds(100);

    /// <summary>
    /// Polls <paramref name="condition"/> until it returns true; fails the test (Assert.Fail) after
    /// <paramref name="timeout"/> with "<paramref name="whatWeWaitFor"/>" and the optional diagnostics.
    /// Exceptions thrown by the condition count as "not yet" and the last one is reported on timeout.
    /// </summary>
    public static async Task UntilAsync(Func<Task<bool>> condition, TimeSpan timeout, string whatWeWaitFor,
        Func<string>? diagnostics = null, TimeSpan? pollInterval = null, CancellationToken cancellationToken = default)
    {
        var interval = pollInterval ?? DefaultPollInterval;
        var clock = Stopwatch.StartNew();
        Exception? lastError = null;
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            try
            {
                if (await condition().ConfigureAwait(false))
                {
                    return;
                }
                lastError = null;
            }
            catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
            {
                if (e is AssertionException or IgnoreException or InconclusiveException)
                {
                    throw;
                }
                lastError = e;
            }
            if (clock.Elapsed >= timeout)
            {
                var message = $"Timed out after {timeout.TotalSeconds:0.#} s waiting for {whatWeWaitFor}.";
                if (lastError is not null)
                {
                    message += $"{Environment.NewLine}Last error: {lastError.GetType().Name}: {lastError.Message}";
                }
                if (diagnostics is not null)
                {
                    message += $"{Environment.NewLine}{SafeDiagnostics(diagnostics)}";
                }
                Assert.Fail(message);
            }
            var remaining = timeout - clock.Elapsed;
            await Task.Delay(remaining < interval ? remaining : interval, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Synchronous-condition overload of <see cref="UntilAsync(Func{Task{bool}}, TimeSpan, string, Func{string}?, TimeSpan?, CancellationToken)"/>.</summary>
    public static Task UntilAsync(Func<bool> condition, TimeSpan timeout, string whatWeWaitFor,
        Func<string>? diagnostics = null, TimeSpan? pollInterval = null, CancellationToken cancellationToken = default) =>
        UntilAsync(() => Task.FromResult(condition()), timeout, whatWeWaitFor, diagnostics, pollInterval, cancellationToken);

    /// <summary>Polls <paramref name="probe"/> until its result satisfies <paramref name="accept"/>, and returns that result.</summary>
    public static async Task<T> ValueAsync<T>(Func<Task<T>> probe, Func<T, bool> accept, TimeSpan timeout, string whatWeWaitFor,
        Func<string>? diagnostics = null, TimeSpan? pollInterval = null, CancellationToken cancellationToken = default)
    {
        T last = default!;
        var haveLast = false;
        await UntilAsync(async () =>
        {
            last = await probe().ConfigureAwait(false);
            haveLast = true;
            return accept(last);
        }, timeout, whatWeWaitFor, () =>
        {
            var text = haveLast ? $"Last value: {last}" : "No value was obtained.";
            return diagnostics is null ? text : text + Environment.NewLine + SafeDiagnostics(diagnostics);
        }, pollInterval, cancellationToken).ConfigureAwait(false);
        return last;
    }

    private static string SafeDiagnostics(Func<string> diagnostics)
    {
        try
        {
            return diagnostics();
        }
        catch (Exception e)
        {
            return $"(diagnostics failed: {e.Message})";
        }
    }
}
