using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace P2PShare.Tests.Support;

/// <summary>Options of an <see cref="Aria2Peer"/>; only the torrent and the directory are required.</summary>
public sealed record Aria2PeerOptions(string TorrentPath, string Directory)
{
    /// <summary>Seed (verify the data, then seed forever) instead of leeching.</summary>
    public bool Seed { get; init; }

    /// <summary>JSON-RPC on a free port (needed for <see cref="Aria2Peer.GetStatusAsync"/>); with it aria2 does not exit by itself.</summary>
    public bool EnableRpc { get; init; } = true;

    /// <summary>--max-upload-limit in bytes/s (0 = none).</summary>
    public int UploadLimit { get; init; }

    /// <summary>--max-download-limit in bytes/s (0 = none).</summary>
    public int DownloadLimit { get; init; }

    /// <summary>Ignore the torrent's announce URLs.</summary>
    public bool NoTrackers { get; init; }

    /// <summary>Extra announce URLs.</summary>
    public IReadOnlyList<string> Trackers { get; init; } = [];

    /// <summary>aria2 only uses UDP trackers with DHT on: this enables DHT (no bootstrap node).</summary>
    public bool UdpTrackers { get; init; }
}

/// <summary>aria2.tellStatus of the download (GID 0000000000000001).</summary>
public sealed record Aria2Status(string Status, long TotalLength, long CompletedLength, long UploadLength,
    long DownloadSpeed, long UploadSpeed, int Connections, string ErrorCode, string ErrorMessage, JsonElement Raw)
{
    /// <summary>True once all data is there (aria2 reports "complete" after a leech, or seeds with everything).</summary>
    public bool IsComplete => TotalLength > 0 && CompletedLength == TotalLength;

    public override string ToString() =>
        $"status={Status} completed={CompletedLength}/{TotalLength} uploaded={UploadLength} connections={Connections} {ErrorCode} {ErrorMessage}";
}

/// <summary>
/// aria2c 1.36 as a BitTorrent peer on 127.0.0.1 (scripts/swarm/aria2.sh): no DHT, LPD or PEX. It has no
/// add-peer call: it learns peers from a tracker, or another peer dials <see cref="EndPoint"/>.
/// </summary>
public sealed class Aria2Peer : IAsyncDisposable
{
    public const string Gid = "0000000000000001";

    private Aria2Peer(ExternalProcess process, int port, int? rpcPort)
    {
        Process = process;
        Port = port;
        RpcPort = rpcPort;
    }

    public ExternalProcess Process { get; }

    public int Port { get; }

    public IPEndPoint EndPoint => new(IPAddress.Loopback, Port);

    /// <summary>JSON-RPC port, or null when RPC is off.</summary>
    public int? RpcPort { get; }

    /// <summary>Starts aria2c on a free port (and RPC port) and waits until it listens.</summary>
    public static async Task<Aria2Peer> StartAsync(Aria2PeerOptions options, CancellationToken cancellationToken = default)
    {
        RequiredTool.Ensure("aria2c");
        var inv = CultureInfo.InvariantCulture;
        // aria2 keeps its data in the given directory: nothing for the launch to own.
        return await ClientLaunch.WithRetriesAsync<Aria2Peer>("aria2c", options.Directory, "p2pshare-aria2-", async (_, _) =>
        {
            var port = FreePort.Get();
            int? rpcPort = options.EnableRpc ? FreePort.Get() : null;
            var args = new List<string>
            {
                SwarmScripts.Path("aria2.sh"), options.Seed ? "seed" : "leech", "--torrent", options.TorrentPath,
                "--dir", options.Directory, "--port", port.ToString(inv),
            };
            if (rpcPort is { } r)
            {
                args.AddRange(["--rpc-port", r.ToString(inv)]);
            }
            if (options.UploadLimit > 0)
            {
                args.AddRange(["--upload-limit", options.UploadLimit.ToString(inv)]);
            }
            if (options.DownloadLimit > 0)
            {
                args.AddRange(["--download-limit", options.DownloadLimit.ToString(inv)]);
            }
            if (options.NoTrackers)
            {
                args.Add("--no-trackers");
            }
            foreach (var tracker in options.Trackers)
            {
                args.AddRange(["--tracker", tracker]);
            }
            if (options.UdpTrackers)
            {
                args.Add("--udp-trackers");
            }
            var process = ExternalProcess.Start("/bin/bash", args, name: options.Seed ? "aria2c(seed)" : "aria2c(leech)");
            var peer = new Aria2Peer(process, port, rpcPort);
            if (await peer.WaitReadyAsync(cancellationToken).ConfigureAwait(false))
                return (peer, "");
            // A leech without RPC may legitimately finish before we see it listening.
            if (process.ExitCode == 0 && !options.EnableRpc)
                return (peer, "");
            var description = process.Describe();
            await process.DisposeAsync().ConfigureAwait(false);
            return (null, description);
        }).ConfigureAwait(false);
    }

    /// <summary>aria2.tellStatus for the torrent's download.</summary>
    public async Task<Aria2Status> GetStatusAsync(CancellationToken cancellationToken = default)
    {
        var s = await CallAsync("aria2.tellStatus", new JsonArray(Gid), cancellationToken).ConfigureAwait(false);
        long Number(string name) => s.TryGetProperty(name, out var v) ? long.Parse(v.GetString() ?? "0", CultureInfo.InvariantCulture) : 0;
        string Text(string name) => s.TryGetProperty(name, out var v) ? v.GetString() ?? "" : "";
        return new Aria2Status(Text("status"), Number("totalLength"), Number("completedLength"), Number("uploadLength"),
            Number("downloadSpeed"), Number("uploadSpeed"), (int)Number("connections"), Text("errorCode"), Text("errorMessage"), s);
    }

    /// <summary>Waits until the status satisfies <paramref name="condition"/>; returns it.</summary>
    public Task<Aria2Status> WaitForStatusAsync(Func<Aria2Status, bool> condition, TimeSpan timeout, string whatWeWaitFor,
        CancellationToken cancellationToken = default) =>
        Eventually.ValueAsync(() => GetStatusAsync(cancellationToken), condition, timeout, $"aria2: {whatWeWaitFor}",
            Process.Describe, TimeSpan.FromMilliseconds(250), cancellationToken);

    /// <summary>Any JSON-RPC method; returns "result".</summary>
    public async Task<JsonElement> CallAsync(string method, JsonArray? parameters = null, CancellationToken cancellationToken = default)
    {
        if (RpcPort is not { } port)
        {
            throw new InvalidOperationException("aria2 was started without RPC (Aria2PeerOptions.EnableRpc = false)");
        }
        var body = new JsonObject { ["jsonrpc"] = "2.0", ["id"] = "t", ["method"] = method, ["params"] = parameters ?? [] };
        using var content = new StringContent(body.ToJsonString(), System.Text.Encoding.UTF8, "application/json");
        using var response = await LoopbackHttp.Client.PostAsync($"http://127.0.0.1:{port}/jsonrpc", content, cancellationToken).ConfigureAwait(false);
        var reply = await response.Content.ReadFromJsonAsync<JsonElement>(cancellationToken).ConfigureAwait(false);
        if (reply.TryGetProperty("error", out var error))
        {
            throw new InvalidOperationException($"aria2 {method}: {error}");
        }
        response.EnsureSuccessStatusCode();
        return reply.GetProperty("result").Clone();
    }

    /// <summary>aria2.shutdown, then waits for the process to exit; returns its exit code.</summary>
    public async Task<int> ShutdownAsync(CancellationToken cancellationToken = default)
    {
        if (!Process.HasExited)
        {
            await CallAsync("aria2.shutdown", null, cancellationToken).ConfigureAwait(false);
        }
        return await Process.WaitForExitAsync(TimeSpan.FromSeconds(20), cancellationToken).ConfigureAwait(false);
    }

    public ValueTask DisposeAsync() => Process.DisposeAsync();

    private async Task<bool> WaitReadyAsync(CancellationToken cancellationToken)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(15);
        while (DateTime.UtcNow < deadline && !Process.HasExited)
        {
            if (await LoopbackHttp.IsListeningAsync(Port, cancellationToken).ConfigureAwait(false)
                && (RpcPort is not { } rpc || await LoopbackHttp.IsListeningAsync(rpc, cancellationToken).ConfigureAwait(false)))
            {
                return true;
            }
            await Task.Delay(100, cancellationToken).ConfigureAwait(false);
        }
        return false;
    }
}
