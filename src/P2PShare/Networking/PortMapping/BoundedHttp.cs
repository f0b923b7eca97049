namespace P2PShare.Networking.PortMapping;

/// <summary>HTTP exchanges with a router, each within a byte limit and a time limit (a router may be hostile or broken).</summary>
internal static class BoundedHttp
{
    public static HttpClient CreateClient() => new(new SocketsHttpHandler
    {
        UseProxy = false,
        AllowAutoRedirect = false,
        UseCookies = false,
        ConnectTimeout = TimeSpan.FromSeconds(3),
        MaxResponseHeadersLength = 16,
        PooledConnectionLifetime = TimeSpan.FromMinutes(1),
    })
    {
        Timeout = Timeout.InfiniteTimeSpan,
    };

    /// <summary>Sends <paramref name="request"/> and returns the status and body; throws <see cref="PortMappingException"/> past either limit.</summary>
    public static async Task<(int Status, byte[] Body)> SendAsync(HttpClient client, HttpRequestMessage request, int maxBytes, TimeSpan timeout,
        CancellationToken cancellationToken)
    {
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        limit.CancelAfter(timeout);
        try
        {
            using var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, limit.Token).ConfigureAwait(false);
            if (response.Content.Headers.ContentLength is > 0 and var length && length > maxBytes)
                throw new PortMappingException($"{request.RequestUri} sends {length} bytes (at most {maxBytes})");
            await using var stream = await response.Content.ReadAsStreamAsync(limit.Token).ConfigureAwait(false);
            var body = new byte[maxBytes + 1];
            var total = 0;
            while (total < body.Length)
            {
                var read = await stream.ReadAsync(body.AsMemory(total), limit.Token).ConfigureAwait(false);
                if (read == 0)
                    break;
                total += read;
            }
            if (total > maxBytes)
                throw new PortMappingException($"{request.RequestUri} sends more than {maxBytes} bytes");
            return ((int)response.StatusCode, body[..total]);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new PortMappingException($"{request.RequestUri} did not answer within {timeout.TotalSeconds:0.#} s");
        }
        catch (HttpRequestException error)
        {
            throw new PortMappingException($"{request.RequestUri}: {error.Message}");
        }
    }
}
