using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace P2PShare.Tests.Support;

/// <summary>A peer as transmission's torrent-get reports it.</summary>
public sealed record TransmissionPeer(string Address, int Port, string ClientName, bool IsIncoming, long RateToClient, long RateToPeer);

/// <summary>Fields of transmission's torrent-get for one torrent.</summary>
public sealed record TransmissionTorrentStatus(
    int Id, string HashString, string Name, int Status, double PercentDone, long UploadedEver, long DownloadedEver,
    long HaveValid, long LeftUntilDone, long SizeWhenDone, int PeersConnected, IReadOnlyList<TransmissionPeer> Peers,
    int Error, string ErrorString, JsonElement Raw)
{
    /// <summary>tr_torrent_activity: 0 stopped, 1 check-wait, 2 check, 3 download-wait, 4 download, 5 seed-wait, 6 seed.</summary>
    public bool IsSeeding => Status == 6;

    public bool IsComplete => LeftUntilDone == 0 && PercentDone >= 1.0;

    public override string ToString() =>
        $"status={Status} percentDone={PercentDone:0.###} uploaded={UploadedEver} downloaded={DownloadedEver} peers={PeersConnected} error={Error} {ErrorString}";
}

/// <summary>
/// transmission-daemon 3.00 on 127.0.0.1 (scripts/swarm/transmission.sh) driven over RPC. It never dials
/// 127.0.0.0/8 peers and has no add-peer call: the other side must dial <see cref="PeerEndPoint"/>. It keeps
/// one connection per IP, decides unchoking on a 10 s cycle, and on loopback takes ~10 s to the first byte.
/// </summary>
public sealed class TransmissionDaemon : IAsyncDisposable
{
    private static readonly string[] StatusFields =
    [
        "id", "hashString", "name", "status", "percentDone", "uploadedEver", "downloadedEver", "haveValid",
        "leftUntilDone", "sizeWhenDone", "peersConnected", "peers", "error", "errorString",
    ];

    private readonly TempDirectory? _ownedDirectory;
    private readonly SemaphoreSlim _sessionLock = new(1, 1);
    private string _sessionId = "";

    private TransmissionDaemon(ExternalProcess process, int peerPort, int rpcPort, string configDirectory, TempDirectory? owned)
    {
        Process = process;
        PeerPort = peerPort;
        RpcPort = rpcPort;
        ConfigDirectory = configDirectory;
        _ownedDirectory = owned;
    }

    public ExternalProcess Process { get; }

    public int PeerPort { get; }

    public IPEndPoint PeerEndPoint => new(IPAddress.Loopback, PeerPort);

    public int RpcPort { get; }

    /// <summary>Holds settings.json, resume files and the default downloads directory.</summary>
    public string ConfigDirectory { get; }

    private Uri RpcUri => new($"http://127.0.0.1:{RpcPort}/transmission/rpc");

    /// <summary>
    /// Starts the daemon on free peer and RPC ports and waits until RPC answers. <paramref name="workDirectory"/>
    /// (null = a temp directory deleted on dispose) holds its config. <paramref name="uploadLimitKBps"/> caps upload.
    /// </summary>
    /// <remarks><paramref name="utp"/>: uTP on (TCP stays on). <paramref name="encryption"/>: transmission.sh's "tolerated", "preferred" (transmission's default) or "required".</remarks>
    public static async Task<TransmissionDaemon> StartAsync(string? workDirectory = null, int? uploadLimitKBps = null,
        CancellationToken cancellationToken = default, string? encryption = null, bool utp = false)
    {
        RequiredTool.Ensure("transmission-daemon");
        return await ClientLaunch.WithRetriesAsync<TransmissionDaemon>("transmission-daemon", workDirectory, "p2pshare-transmission-", async (root, owned) =>
        {
            var peerPort = FreePort.Get();
            var rpcPort = FreePort.Get();
            var configDirectory = Path.Combine(root, $"transmission-{peerPort}");
            var args = new List<string>
            {
                SwarmScripts.Path("transmission.sh"), "run", "--dir", configDirectory,
                "--peer-port", peerPort.ToString(CultureInfo.InvariantCulture), "--rpc-port", rpcPort.ToString(CultureInfo.InvariantCulture),
            };
            if (uploadLimitKBps is { } limit)
                args.AddRange(["--upload-limit", limit.ToString(CultureInfo.InvariantCulture)]);
            if (encryption is not null)
                args.AddRange(["--encryption", encryption]);
            if (utp)
                args.Add("--utp");
            var process = ExternalProcess.Start("/bin/bash", args, name: "transmission-daemon");
            var daemon = new TransmissionDaemon(process, peerPort, rpcPort, configDirectory, owned);
            if (await daemon.WaitForRpcAsync(cancellationToken).ConfigureAwait(false)
                && await LoopbackHttp.IsListeningAsync(peerPort, cancellationToken).ConfigureAwait(false))
                return (daemon, "");
            var description = process.Describe();
            await process.DisposeAsync().ConfigureAwait(false);
            return (null, description);
        }).ConfigureAwait(false);
    }

    /// <summary>torrent-add from a .torrent file into <paramref name="downloadDirectory"/> (created); returns the torrent id.</summary>
    public async Task<int> AddTorrentAsync(string torrentPath, string downloadDirectory, CancellationToken cancellationToken = default)
    {
        Directory.CreateDirectory(downloadDirectory);
        var metainfo = Convert.ToBase64String(await File.ReadAllBytesAsync(torrentPath, cancellationToken).ConfigureAwait(false));
        var result = await CallAsync("torrent-add",
            new JsonObject { ["metainfo"] = metainfo, ["download-dir"] = downloadDirectory, ["paused"] = false },
            cancellationToken).ConfigureAwait(false);
        var added = result.TryGetProperty("torrent-added", out var a) ? a
            : result.TryGetProperty("torrent-duplicate", out var d) ? d
            : throw new InvalidOperationException($"torrent-add returned no torrent: {result}");
        return added.GetProperty("id").GetInt32();
    }

    /// <summary>torrent-get for the torrent with <paramref name="infoHashHex"/>, or null if transmission does not have it.</summary>
    public async Task<TransmissionTorrentStatus?> GetStatusAsync(string infoHashHex, CancellationToken cancellationToken = default)
    {
        var all = await GetAllStatusAsync(cancellationToken).ConfigureAwait(false);
        return all.FirstOrDefault(t => string.Equals(t.HashString, infoHashHex, StringComparison.OrdinalIgnoreCase));
    }

    /// <summary>torrent-get for every torrent.</summary>
    public async Task<IReadOnlyList<TransmissionTorrentStatus>> GetAllStatusAsync(CancellationToken cancellationToken = default)
    {
        var fields = new JsonArray(StatusFields.Select(f => (JsonNode)JsonValue.Create(f)!).ToArray());
        var result = await CallAsync("torrent-get", new JsonObject { ["fields"] = fields }, cancellationToken).ConfigureAwait(false);
        return result.GetProperty("torrents").EnumerateArray().Select(ParseStatus).ToArray();
    }

    /// <summary>Waits until the torrent's status satisfies <paramref name="condition"/>; returns that status.</summary>
    public Task<TransmissionTorrentStatus> WaitForStatusAsync(string infoHashHex, Func<TransmissionTorrentStatus, bool> condition,
        TimeSpan timeout, string whatWeWaitFor, CancellationToken cancellationToken = default) =>
        Eventually.ValueAsync(
            async () => await GetStatusAsync(infoHashHex, cancellationToken).ConfigureAwait(false),
            s => s is not null && condition(s), timeout, $"transmission: {whatWeWaitFor}", Process.Describe,
            TimeSpan.FromMilliseconds(250), cancellationToken)!;

    /// <summary>Any RPC method; returns its "arguments". Handles the 409 X-Transmission-Session-Id handshake.</summary>
    public async Task<JsonElement> CallAsync(string method, JsonObject? arguments = null, CancellationToken cancellationToken = default)
    {
        var body = new JsonObject { ["method"] = method, ["arguments"] = arguments ?? new JsonObject() }.ToJsonString();
        await _sessionLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            for (var attempt = 0; attempt < 3; attempt++)
            {
                using var request = new HttpRequestMessage(HttpMethod.Post, RpcUri)
                {
                    Content = new StringContent(body, System.Text.Encoding.UTF8, "application/json"),
                };
                request.Headers.TryAddWithoutValidation("X-Transmission-Session-Id", _sessionId);
                using var response = await LoopbackHttp.Client.SendAsync(request, cancellationToken).ConfigureAwait(false);
                if (response.StatusCode == HttpStatusCode.Conflict)
                {
                    // First call (or a restarted daemon): the 409 carries the session id to echo back.
                    _sessionId = response.Headers.TryGetValues("X-Transmission-Session-Id", out var ids) ? ids.First() : "";
                    continue;
                }
                response.EnsureSuccessStatusCode();
                var reply = await response.Content.ReadFromJsonAsync<JsonElement>(cancellationToken).ConfigureAwait(false);
                var outcome = reply.GetProperty("result").GetString();
                if (outcome != "success")
                {
                    throw new InvalidOperationException($"transmission {method}: {outcome}");
                }
                return reply.TryGetProperty("arguments", out var args) ? args.Clone() : default;
            }
            throw new InvalidOperationException($"transmission {method}: still 409 after sending the session id");
        }
        finally
        {
            _sessionLock.Release();
        }
    }

    /// <summary>Kills the daemon (by PID) and deletes its temp directory when it made one.</summary>
    public async ValueTask DisposeAsync()
    {
        await Process.DisposeAsync().ConfigureAwait(false);
        _sessionLock.Dispose();
        _ownedDirectory?.Dispose();
    }

    private async Task<bool> WaitForRpcAsync(CancellationToken cancellationToken)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(15);
        while (DateTime.UtcNow < deadline && !Process.HasExited)
        {
            try
            {
                await CallAsync("session-get", null, cancellationToken).ConfigureAwait(false);
                return true;
            }
            catch (HttpRequestException)
            {
                await Task.Delay(100, cancellationToken).ConfigureAwait(false);
            }
        }
        return false;
    }

    private static TransmissionTorrentStatus ParseStatus(JsonElement t)
    {
        var peers = t.GetProperty("peers").EnumerateArray().Select(p => new TransmissionPeer(
            p.GetProperty("address").GetString() ?? "",
            p.GetProperty("port").GetInt32(),
            p.GetProperty("clientName").GetString() ?? "",
            p.TryGetProperty("isIncoming", out var inc) && inc.GetBoolean(),
            p.TryGetProperty("rateToClient", out var rc) ? rc.GetInt64() : 0,
            p.TryGetProperty("rateToPeer", out var rp) ? rp.GetInt64() : 0)).ToArray();
        return new TransmissionTorrentStatus(
            t.GetProperty("id").GetInt32(),
            t.GetProperty("hashString").GetString() ?? "",
            t.GetProperty("name").GetString() ?? "",
            t.GetProperty("status").GetInt32(),
            t.GetProperty("percentDone").GetDouble(),
            t.GetProperty("uploadedEver").GetInt64(),
            t.GetProperty("downloadedEver").GetInt64(),
            t.GetProperty("haveValid").GetInt64(),
            t.GetProperty("leftUntilDone").GetInt64(),
            t.GetProperty("sizeWhenDone").GetInt64(),
            t.GetProperty("peersConnected").GetInt32(),
            peers,
            t.GetProperty("error").GetInt32(),
            t.GetProperty("errorString").GetString() ?? "",
            t.Clone());
    }
}
