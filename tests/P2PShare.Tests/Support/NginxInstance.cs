using System.Globalization;

namespace P2PShare.Tests.Support;

/// <summary>One request in nginx's access log (our own log format: status, body bytes sent, protocol, URI).</summary>
public sealed record NginxRequest(int Status, long BytesSent, string Uri, string Protocol = "");

/// <summary>A certificate and key (PEM files) for nginx's HTTPS listener.</summary>
public sealed record NginxTls(string CertificatePath, string KeyPath)
{
    /// <summary>Makes a self-signed certificate for 127.0.0.1 (IP SAN) with openssl, valid one day, in <paramref name="directory"/>.</summary>
    public static async Task<NginxTls> CreateSelfSignedAsync(string directory, CancellationToken cancellationToken = default)
    {
        var openssl = RequiredTool.Ensure("openssl");
        var tls = new NginxTls(Path.Combine(directory, "cert.pem"), Path.Combine(directory, "key.pem"));
        await using var process = ExternalProcess.Start(openssl, ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
            "-keyout", tls.KeyPath, "-out", tls.CertificatePath, "-days", "1", "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"], name: "openssl");
        var exit = await process.WaitForExitAsync(TimeSpan.FromSeconds(20), cancellationToken).ConfigureAwait(false);
        Assert.That(exit, Is.EqualTo(0), process.Describe);
        return tls;
    }
}

/// <summary>
/// A private nginx (Debian's nginx-light) serving a directory on 127.0.0.1 as a web seed: its own config, pid file
/// and logs in a temp directory, in the foreground ('daemon off'), killed by PID on dispose. It answers Range
/// requests; <c>limitRate</c> caps each connection (nginx's limit_rate); <c>serverConfig</c> is added to the server
/// block (e.g. fault locations); with <c>tls</c> it listens for HTTPS with HTTP/2. The access log counts what it served.
/// </summary>
public sealed class NginxInstance : IAsyncDisposable
{
    private readonly TempDirectory _directory;
    private readonly bool _https;

    private NginxInstance(TempDirectory directory, int port, ExternalProcess process, string root, bool https)
    {
        _https = https;
        _directory = directory;
        Port = port;
        Process = process;
        Root = root;
    }

    public int Port { get; }

    public string Root { get; }

    public ExternalProcess Process { get; }

    /// <summary>http://127.0.0.1:P/ or https://127.0.0.1:P/ (ends in '/').</summary>
    public string BaseUrl => $"{(_https ? "https" : "http")}://127.0.0.1:{Port}/";

    public static async Task<NginxInstance> StartAsync(string root, long limitRate = 0, CancellationToken cancellationToken = default,
        string? serverConfig = null, NginxTls? tls = null)
    {
        var nginx = RequiredTool.Ensure("nginx");
        for (var attempt = 1; ; attempt++)
        {
            var directory = new TempDirectory("p2pshare-nginx-");
            var port = FreePort.Get();
            Directory.CreateDirectory(directory.Combine("logs"));
            Directory.CreateDirectory(directory.Combine("tmp"));
            var config = directory.Combine("nginx.conf");
            var temp = directory.Combine("tmp");
            await File.WriteAllTextAsync(config, $$"""
                {{(Environment.IsPrivilegedProcess ? "user root;" : "")}}
                worker_processes 1;
                error_log {{directory.Combine("logs", "error.log")}} info;
                pid {{directory.Combine("nginx.pid")}};
                events { worker_connections 128; }
                http {
                    log_format webseed '$status $body_bytes_sent $server_protocol $request_uri';
                    access_log {{directory.Combine("logs", "access.log")}} webseed;
                    client_body_temp_path {{temp}};
                    proxy_temp_path {{temp}};
                    fastcgi_temp_path {{temp}};
                    uwsgi_temp_path {{temp}};
                    scgi_temp_path {{temp}};
                    keepalive_requests 10000;
                    server {
                        listen 127.0.0.1:{{port}}{{(tls is null ? "" : " ssl http2")}};
                        {{(tls is null ? "" : $"ssl_certificate {tls.CertificatePath}; ssl_certificate_key {tls.KeyPath};")}}
                        root {{Path.GetFullPath(root)}};
                        {{(limitRate > 0 ? $"limit_rate {limitRate};" : "")}}
                        {{serverConfig ?? ""}}
                    }
                }
                """, cancellationToken).ConfigureAwait(false);
            var process = ExternalProcess.Start(nginx, ["-c", config, "-p", directory.Path, "-g", "daemon off;"], name: "nginx");
            var listening = false;
            var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
            while (!process.HasExited && DateTime.UtcNow < deadline && !listening)
            {
                listening = await LoopbackHttp.IsListeningAsync(port, cancellationToken).ConfigureAwait(false);
                if (!listening)
                    await Task.Delay(50, cancellationToken).ConfigureAwait(false);
            }
            if (listening)
                return new NginxInstance(directory, port, process, root, tls is not null);
            var description = process.Describe() + Environment.NewLine + ReadIfExists(directory.Combine("logs", "error.log"));
            await process.DisposeAsync().ConfigureAwait(false);
            await directory.DisposeAsync().ConfigureAwait(false);
            if (attempt == 3)
                Assert.Fail($"nginx did not start.{Environment.NewLine}{description}");
        }
    }

    /// <summary>The requests logged so far (nginx writes each line when the request ends).</summary>
    public IReadOnlyList<NginxRequest> Requests()
    {
        var log = ReadIfExists(_directory.Combine("logs", "access.log"));
        var requests = new List<NginxRequest>();
        foreach (var line in log.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            var parts = line.Split(' ', 4);
            if (parts.Length == 4)
                requests.Add(new NginxRequest(int.Parse(parts[0], CultureInfo.InvariantCulture), long.Parse(parts[1], CultureInfo.InvariantCulture), parts[3], parts[2]));
        }
        return requests;
    }

    /// <summary>Body bytes of every logged answer.</summary>
    public long BytesServed() => Requests().Sum(r => r.BytesSent);

    public string Describe() => $"nginx on port {Port}: {Requests().Count} requests, {BytesServed()} bytes{Environment.NewLine}{Process.Describe()}";

    public async ValueTask DisposeAsync()
    {
        await Process.DisposeAsync().ConfigureAwait(false);
        await _directory.DisposeAsync().ConfigureAwait(false);
    }

    private static string ReadIfExists(string path)
    {
        try
        {
            return File.Exists(path) ? File.ReadAllText(path) : "";
        }
        catch (IOException)
        {
            return "";
        }
    }
}
