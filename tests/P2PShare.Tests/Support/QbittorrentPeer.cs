using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace P2PShare.Tests.Support;

/// <summary>One entry of qBittorrent's torrents/info.</summary>
public sealed record QbittorrentTorrentInfo(string Hash, string Name, string State, double Progress, long Size,
    long Downloaded, long Uploaded, long AmountLeft, int NumSeeds, int NumLeechs, JsonElement Raw)
{
    public bool IsComplete => Progress >= 1.0 && AmountLeft == 0;

    public override string ToString() =>
        $"state={State} progress={Progress:0.###} downloaded={Downloaded} uploaded={Uploaded} seeds={NumSeeds} leechs={NumLeechs}";
}

/// <summary>
/// qbittorrent-nox 4.5 on 127.0.0.1 (scripts/swarm/qbittorrent.sh) driven over the Web API v2. The profile
/// keeps DHT off from the first start (it has public bootstrap nodes built in); <see cref="StartAsync"/>
/// then applies the loopback preferences (DHT/PEX/LSD/UPnP off, interface lo, TCP only, queueing off,
/// several connections per IP).
/// </summary>
public sealed class QbittorrentPeer : IAsyncDisposable
{
    private readonly TempDirectory? _ownedDirectory;

    private QbittorrentPeer(ExternalProcess process, int peerPort, int webUiPort, string profileDirectory, TempDirectory? owned)
    {
        Process = process;
        PeerPort = peerPort;
        WebUiPort = webUiPort;
        ProfileDirectory = profileDirectory;
        _ownedDirectory = owned;
    }

    public ExternalProcess Process { get; }

    public int PeerPort { get; }

    public IPEndPoint PeerEndPoint => new(IPAddress.Loopback, PeerPort);

    public int WebUiPort { get; }

    public string ProfileDirectory { get; }

    private string Api => $"http://127.0.0.1:{WebUiPort}/api/v2/";

    /// <summary>
    /// Starts qbittorrent-nox with a fresh profile on free ports, waits for the Web API and applies the
    /// loopback preferences. <paramref name="workDirectory"/> null = a temp directory deleted on dispose.
    /// </summary>
    public static async Task<QbittorrentPeer> StartAsync(string? workDirectory = null, CancellationToken cancellationToken = default)
    {
        RequiredTool.Ensure("qbittorrent-nox");
        return await ClientLaunch.WithRetriesAsync<QbittorrentPeer>("qbittorrent-nox", workDirectory, "p2pshare-qbittorrent-", async (root, owned) =>
        {
            var peerPort = FreePort.Get();
            var webUiPort = FreePort.Get();
            var profile = Path.Combine(root, $"qbittorrent-{peerPort}");
            var process = ExternalProcess.Start("/bin/bash",
            [
                SwarmScripts.Path("qbittorrent.sh"), "run", "--profile", profile,
                "--webui-port", webUiPort.ToString(CultureInfo.InvariantCulture), "--peer-port", peerPort.ToString(CultureInfo.InvariantCulture),
            ], name: "qbittorrent-nox");
            var peer = new QbittorrentPeer(process, peerPort, webUiPort, profile, owned);
            if (await peer.WaitForApiAsync(cancellationToken).ConfigureAwait(false))
            {
                await peer.SetPreferencesAsync(null, cancellationToken).ConfigureAwait(false);
                if (await peer.WaitListeningAsync(cancellationToken).ConfigureAwait(false))
                    return (peer, "");
            }
            var description = process.Describe();
            await process.DisposeAsync().ConfigureAwait(false);
            return (null, description);
        }).ConfigureAwait(false);
    }

    /// <summary>The loopback preferences sent by <see cref="SetPreferencesAsync"/>.</summary>
    public JsonObject LoopbackPreferences() => new()
    {
        ["dht"] = false, ["pex"] = false, ["lsd"] = false, ["upnp"] = false, ["web_ui_upnp"] = false,
        ["current_network_interface"] = "lo", ["current_interface_address"] = "127.0.0.1",
        ["listen_port"] = PeerPort, ["random_port"] = false,
        ["bittorrent_protocol"] = 1, // 0 TCP and uTP, 1 TCP, 2 uTP
        ["queueing_enabled"] = false,
        ["enable_multi_connections_from_same_ip"] = true,
        ["anonymous_mode"] = false, ["ip_filter_enabled"] = false, ["enable_embedded_tracker"] = false,
        ["bypass_local_auth"] = true, ["preallocate_all"] = false, ["torrent_content_layout"] = "Original",
        ["max_ratio_enabled"] = false, ["max_seeding_time_enabled"] = false,
        ["encryption"] = 0, // plaintext and encrypted both allowed
    };

    /// <summary>app/setPreferences with the loopback set, overlaid by <paramref name="extra"/> (e.g. up_limit in bytes/s).</summary>
    public async Task SetPreferencesAsync(JsonObject? extra = null, CancellationToken cancellationToken = default)
    {
        var preferences = LoopbackPreferences();
        foreach (var (key, value) in extra ?? [])
        {
            preferences[key] = value?.DeepClone();
        }
        await PostFormAsync("app/setPreferences", new Dictionary<string, string> { ["json"] = preferences.ToJsonString() }, cancellationToken)
            .ConfigureAwait(false);
    }

    /// <summary>app/preferences.</summary>
    public async Task<JsonElement> GetPreferencesAsync(CancellationToken cancellationToken = default) =>
        await LoopbackHttp.Client.GetFromJsonAsync<JsonElement>(Api + "app/preferences", cancellationToken).ConfigureAwait(false);

    /// <summary>
    /// torrents/add (multipart) saving into <paramref name="saveDirectory"/>, then waits until torrents/info lists
    /// <paramref name="infoHashHex"/>. <paramref name="skipCheck"/> trusts existing data without hashing.
    /// </summary>
    public async Task AddTorrentAsync(string torrentPath, string saveDirectory, string infoHashHex, bool skipCheck = false,
        CancellationToken cancellationToken = default)
    {
        Directory.CreateDirectory(saveDirectory);
        using var form = new MultipartFormDataContent
        {
            { new StringContent(saveDirectory), "savepath" },
            { new StringContent("false"), "paused" },
            { new StringContent("Original"), "contentLayout" },
            { new StringContent(skipCheck ? "true" : "false"), "skip_checking" },
        };
        var file = new ByteArrayContent(await File.ReadAllBytesAsync(torrentPath, cancellationToken).ConfigureAwait(false));
        file.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/x-bittorrent");
        form.Add(file, "torrents", Path.GetFileName(torrentPath));
        using var response = await LoopbackHttp.Client.PostAsync(Api + "torrents/add", form, cancellationToken).ConfigureAwait(false);
        var text = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
        if (!response.IsSuccessStatusCode || text.Trim().StartsWith("Fails", StringComparison.OrdinalIgnoreCase))
        {
            Assert.Fail($"qBittorrent torrents/add failed: HTTP {(int)response.StatusCode} {text}");
        }
        await Eventually.UntilAsync(async () => await GetInfoAsync(infoHashHex, cancellationToken).ConfigureAwait(false) is not null,
            TimeSpan.FromSeconds(15), $"qBittorrent to list torrent {infoHashHex}", Process.Describe, cancellationToken: cancellationToken)
            .ConfigureAwait(false);
    }

    /// <summary>torrents/addPeers: makes qBittorrent dial the given peers for the torrent.</summary>
    public async Task AddPeersAsync(string infoHashHex, IEnumerable<IPEndPoint> peers, CancellationToken cancellationToken = default)
    {
        var list = string.Join('|', peers.Select(p => $"{p.Address}:{p.Port.ToString(CultureInfo.InvariantCulture)}"));
        await PostFormAsync("torrents/addPeers",
            new Dictionary<string, string> { ["hashes"] = infoHashHex.ToLowerInvariant(), ["peers"] = list }, cancellationToken)
            .ConfigureAwait(false);
    }

    /// <summary>torrents/info for one torrent, or null if qBittorrent does not have it.</summary>
    public async Task<QbittorrentTorrentInfo?> GetInfoAsync(string infoHashHex, CancellationToken cancellationToken = default)
    {
        var hash = infoHashHex.ToLowerInvariant();
        var list = await LoopbackHttp.Client.GetFromJsonAsync<JsonElement>($"{Api}torrents/info?hashes={hash}", cancellationToken)
            .ConfigureAwait(false);
        foreach (var t in list.EnumerateArray())
        {
            if (string.Equals(t.GetProperty("hash").GetString(), hash, StringComparison.OrdinalIgnoreCase))
            {
                return new QbittorrentTorrentInfo(
                    hash, t.GetProperty("name").GetString() ?? "", t.GetProperty("state").GetString() ?? "",
                    t.GetProperty("progress").GetDouble(), t.GetProperty("size").GetInt64(),
                    t.GetProperty("downloaded").GetInt64(), t.GetProperty("uploaded").GetInt64(),
                    t.GetProperty("amount_left").GetInt64(), t.GetProperty("num_seeds").GetInt32(),
                    t.GetProperty("num_leechs").GetInt32(), t.Clone());
            }
        }
        return null;
    }

    /// <summary>Waits until torrents/info satisfies <paramref name="condition"/>; returns it.</summary>
    public Task<QbittorrentTorrentInfo> WaitForInfoAsync(string infoHashHex, Func<QbittorrentTorrentInfo, bool> condition,
        TimeSpan timeout, string whatWeWaitFor, CancellationToken cancellationToken = default) =>
        Eventually.ValueAsync(
            async () => await GetInfoAsync(infoHashHex, cancellationToken).ConfigureAwait(false),
            i => i is not null && condition(i), timeout, $"qBittorrent: {whatWeWaitFor}", Process.Describe,
            TimeSpan.FromMilliseconds(250), cancellationToken)!;

    /// <summary>app/shutdown, then waits for the process to exit.</summary>
    public async Task<int> ShutdownAsync(CancellationToken cancellationToken = default)
    {
        if (!Process.HasExited)
        {
            await PostFormAsync("app/shutdown", new Dictionary<string, string>(), cancellationToken).ConfigureAwait(false);
        }
        return await Process.WaitForExitAsync(TimeSpan.FromSeconds(20), cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Kills qBittorrent (by PID) and deletes its temp directory when it made one.</summary>
    public async ValueTask DisposeAsync()
    {
        await Process.DisposeAsync().ConfigureAwait(false);
        _ownedDirectory?.Dispose();
    }

    private async Task PostFormAsync(string path, Dictionary<string, string> fields, CancellationToken cancellationToken)
    {
        using var content = new FormUrlEncodedContent(fields);
        using var response = await LoopbackHttp.Client.PostAsync(Api + path, content, cancellationToken).ConfigureAwait(false);
        if (!response.IsSuccessStatusCode)
        {
            var text = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
            throw new HttpRequestException($"qBittorrent {path}: HTTP {(int)response.StatusCode} {text}");
        }
    }

    private async Task<bool> WaitForApiAsync(CancellationToken cancellationToken)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (DateTime.UtcNow < deadline && !Process.HasExited)
        {
            try
            {
                using var response = await LoopbackHttp.Client.GetAsync(Api + "app/version", cancellationToken).ConfigureAwait(false);
                if (response.IsSuccessStatusCode)
                {
                    return true;
                }
            }
            catch (HttpRequestException)
            {
                // Not up yet.
            }
            await Task.Delay(150, cancellationToken).ConfigureAwait(false);
        }
        return false;
    }

    private async Task<bool> WaitListeningAsync(CancellationToken cancellationToken)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(15);
        while (DateTime.UtcNow < deadline && !Process.HasExited)
        {
            if (await LoopbackHttp.IsListeningAsync(PeerPort, cancellationToken).ConfigureAwait(false))
            {
                return true;
            }
            await Task.Delay(100, cancellationToken).ConfigureAwait(false);
        }
        return false;
    }
}
