using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using P2PShare.Tests.Support;

namespace P2PShare.Tests.WebUi;

/// <summary>
/// 'p2pshare daemon' as a process on 127.0.0.1 (RPC and web UI on a free port, peers on another, DHT off), with a
/// small Transmission RPC client so a test can check what the page did against the daemon itself.
/// </summary>
public sealed class WebUiDaemon : IAsyncDisposable
{
    private string? _sessionId;

    private WebUiDaemon(P2PShareClient client, int rpcPort, int peerPort, string downloadDirectory)
    {
        Client = client;
        RpcPort = rpcPort;
        PeerPort = peerPort;
        DownloadDirectory = downloadDirectory;
    }

    public P2PShareClient Client { get; }

    public int RpcPort { get; }

    public int PeerPort { get; }

    public string DownloadDirectory { get; }

    public Uri BaseAddress => new($"http://127.0.0.1:{RpcPort.ToString(CultureInfo.InvariantCulture)}/");

    public IPEndPoint PeerEndPoint => new(IPAddress.Loopback, PeerPort);

    /// <summary>Starts the daemon in <paramref name="workDirectory"/> (config and downloads below it) and waits for its RPC port.</summary>
    public static async Task<WebUiDaemon> StartAsync(string workDirectory, CancellationToken cancellationToken = default)
    {
        var ports = FreePort.GetMany(2);
        var downloads = Directory.CreateDirectory(Path.Combine(workDirectory, "downloads")).FullName;
        var config = Directory.CreateDirectory(Path.Combine(workDirectory, "config")).FullName;
        var client = P2PShareClient.Start(workDirectory, "daemon",
        [
            "daemon", "--rpc-port", ports[0].ToString(CultureInfo.InvariantCulture), "--port", ports[1].ToString(CultureInfo.InvariantCulture),
            "--bind", "127.0.0.1", "--download-dir", downloads, "--config-dir", config, "--no-dht",
        ]);
        var daemon = new WebUiDaemon(client, ports[0], ports[1], downloads);
        try
        {
            await Eventually.UntilAsync(async () => client.HasExited ? throw new InvalidOperationException("the daemon exited") : await LoopbackHttp.IsListeningAsync(ports[0], cancellationToken).ConfigureAwait(false),
                TimeSpan.FromSeconds(20), "the daemon's RPC port to listen", client.Describe, cancellationToken: cancellationToken).ConfigureAwait(false);
            return daemon;
        }
        catch
        {
            await daemon.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>One RPC call (with the 409 session-id handshake); returns the reply's "arguments", fails the test unless "success".</summary>
    public async Task<JsonObject> CallAsync(string method, JsonObject? arguments = null, CancellationToken cancellationToken = default)
    {
        var body = new JsonObject { ["method"] = method, ["arguments"] = arguments ?? [] }.ToJsonString();
        for (var attempt = 0; attempt < 2; attempt++)
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(BaseAddress, "transmission/rpc")) { Content = new StringContent(body) };
            if (_sessionId is not null)
                request.Headers.Add("X-Transmission-Session-Id", _sessionId);
            using var response = await LoopbackHttp.Client.SendAsync(request, cancellationToken).ConfigureAwait(false);
            if (response.StatusCode == HttpStatusCode.Conflict)
            {
                _sessionId = response.Headers.GetValues("X-Transmission-Session-Id").First();
                continue;
            }
            response.EnsureSuccessStatusCode();
            var reply = await response.Content.ReadFromJsonAsync<JsonObject>(cancellationToken).ConfigureAwait(false) ?? [];
            Assert.That(reply["result"]?.GetValue<string>(), Is.EqualTo("success"), $"{method}: {reply.ToJsonString()}");
            return reply["arguments"]?.AsObject() ?? [];
        }
        throw new InvalidOperationException("the session-id handshake did not settle");
    }

    /// <summary>torrent-get of these fields for all torrents.</summary>
    public async Task<JsonArray> TorrentsAsync(params string[] fields)
    {
        var arguments = await CallAsync("torrent-get", new JsonObject { ["fields"] = new JsonArray([.. fields.Select(f => JsonValue.Create(f))]) }).ConfigureAwait(false);
        return arguments["torrents"]?.AsArray() ?? [];
    }

    public string Describe() => Client.Describe();

    public async ValueTask DisposeAsync()
    {
        await ((Task)Client.StopAsync(TimeSpan.FromSeconds(10))).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        await Client.DisposeAsync().ConfigureAwait(false);
    }
}
