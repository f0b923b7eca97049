using System.Net;
using System.Net.Http.Headers;
using System.Net.Security;
using System.Security.Cryptography.X509Certificates;

namespace P2PShare.Networking.WebSeeds;

/// <summary>
/// The one HTTP client web seeds share (one <see cref="SocketsHttpHandler"/> per process): kept-alive pooled
/// connections, a few redirects, no content decoding (a range is of the file's bytes) and no client-wide timeout (each
/// piece has its own). Over HTTPS it offers HTTP/2 by ALPN and uses it when the server agrees (several requests in
/// flight on one connection, more connections when those fill); plain http and servers without h2 get HTTP/1.1.
/// Server certificates are checked as usual; the only exception is a test hook (<see cref="TrustedCertificateVariable"/>).
/// </summary>
internal static class WebSeedHttp
{
    public const int MaxRedirects = 5;

    /// <summary>
    /// Tests only: the path of one PEM certificate (a test's self-signed server certificate) that is accepted as it is,
    /// although no authority vouches for it. Unset (always, outside tests), certificates are checked normally.
    /// </summary>
    public const string TrustedCertificateVariable = "P2PSHARE_TEST_TRUSTED_CERTIFICATE";

    private static readonly Lazy<HttpClient> SharedClient = new(() => Create());

    public static HttpClient Shared => SharedClient.Value;

    /// <param name="trustedCertificatePath">A certificate accepted without a chain (tests); null: the environment variable's, if set.</param>
    /// <param name="connect">Opens each connection instead of a socket (the fuzz target's scripted server); null: TCP.</param>
    public static HttpClient Create(string? trustedCertificatePath = null, Func<SocketsHttpConnectionContext, CancellationToken, ValueTask<Stream>>? connect = null)
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
            EnableMultipleHttp2Connections = true,
            MaxResponseHeadersLength = 64, // KiB
        };
        if (connect is not null)
            handler.ConnectCallback = connect;
        trustedCertificatePath ??= Environment.GetEnvironmentVariable(TrustedCertificateVariable);
        if (!string.IsNullOrEmpty(trustedCertificatePath))
        {
            var trusted = X509CertificateLoader.LoadCertificateFromFile(trustedCertificatePath);
            handler.SslOptions = new SslClientAuthenticationOptions
            {
                RemoteCertificateValidationCallback = (_, certificate, _, errors) =>
                    errors == SslPolicyErrors.None || (certificate is not null && certificate.GetRawCertData().AsSpan().SequenceEqual(trusted.RawData)),
            };
        }
        var http = new HttpClient(handler)
        {
            Timeout = Timeout.InfiniteTimeSpan,
            DefaultRequestVersion = HttpVersion.Version20,
            DefaultVersionPolicy = HttpVersionPolicy.RequestVersionOrLower,
        };
        http.DefaultRequestHeaders.UserAgent.Add(new ProductInfoHeaderValue("P2PShare", "0.1"));
        return http;
    }
}
