using System.Net;
using System.Net.Http.Headers;

namespace P2PShare.Networking.WebSeeds;

/// <summary>
/// The one HTTP client web seeds share (one <see cref="SocketsHttpHandler"/> per process): HTTP/1.1 with kept-alive
/// pooled connections, a few redirects, HTTPS, no content decoding (a range is of the file's bytes) and no
/// client-wide timeout (each request has its own).
/// </summary>
public static class WebSeedHttp
{
    public const int MaxRedirects = 5;

    private static readonly Lazy<HttpClient> SharedClient = new(Create);

    public static HttpClient Shared => SharedClient.Value;

    public static HttpClient Create()
    {
        var handler = new SocketsHttpHandler
        {
            AllowAutoRedirect = true,
            MaxAutomaticRedirections = MaxRedirects,
            AutomaticDecompression = DecompressionMethods.None,
            ConnectTimeout = TimeSpan.FromSeconds(15),
            PooledConnectionLifetime = TimeSpan.FromMinutes(5),
            PooledConnectionIdleTimeout = TimeSpan.FromSeconds(60),
            MaxConnectionsPerServer = 8,
            MaxResponseHeadersLength = 64, // KiB
        };
        var http = new HttpClient(handler) { Timeout = Timeout.InfiniteTimeSpan, DefaultRequestVersion = HttpVersion.Version11 };
        http.DefaultRequestHeaders.UserAgent.Add(new ProductInfoHeaderValue("P2PShare", "0.1"));
        return http;
    }
}
