namespace P2PShare.Tests.Support;

/// <summary>
/// Starting a real client on free ports, with retries: a port found free can be taken by another test before
/// the client binds it, so a start that does not come up is retried on new ports, up to <see cref="MaxAttempts"/>.
/// </summary>
public static class ClientLaunch
{
    public const int MaxAttempts = 3;

    /// <summary>
    /// Runs <paramref name="tryStart"/> (given the work directory, and the temp directory the client then owns when
    /// <paramref name="workDirectory"/> is null) until it returns a client; it returns null with the failed
    /// process's description otherwise, having ended that process. Fails the test after the last attempt.
    /// </summary>
    public static async Task<T> WithRetriesAsync<T>(string clientName, string? workDirectory, string tempPrefix,
        Func<string, TempDirectory?, Task<(T? Client, string Failure)>> tryStart) where T : class
    {
        var owned = workDirectory is null ? new TempDirectory(tempPrefix) : null;
        var root = workDirectory ?? owned!.Path;
        try
        {
            for (var attempt = 1; ; attempt++)
            {
                var (client, failure) = await tryStart(root, owned).ConfigureAwait(false);
                if (client is not null)
                    return client;
                if (attempt >= MaxAttempts)
                    Assert.Fail($"{clientName} did not start after {attempt} attempts.{Environment.NewLine}{failure}");
            }
        }
        catch
        {
            owned?.Dispose();
            throw;
        }
    }
}
