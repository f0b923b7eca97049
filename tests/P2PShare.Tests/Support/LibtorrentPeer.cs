using System.Globalization;
using System.Net;
using System.Text.Json;

namespace P2PShare.Tests.Support;

/// <summary>How <see cref="LibtorrentPeer"/> runs (lt_peer.py --mode).</summary>
public enum LibtorrentMode
{
    /// <summary>Check the data, then seed forever.</summary>
    Seed,

    /// <summary>Download, then exit (status event "done", exit code 0).</summary>
    Leech,

    /// <summary>Download, then keep seeding forever.</summary>
    LeechThenSeed,
}

/// <summary>Options of a <see cref="LibtorrentPeer"/>; only the torrent and the save directory are required.</summary>
public sealed record LibtorrentPeerOptions(string TorrentPath, string SaveDirectory)
{
    /// <summary>A magnet link to leech instead of <see cref="TorrentPath"/> (which is then ignored): libtorrent fetches the metadata from peers.</summary>
    public string? Magnet { get; init; }

    public LibtorrentMode Mode { get; init; } = LibtorrentMode.Leech;

    /// <summary>Listen port on 127.0.0.1; 0 lets the OS choose (read <see cref="LibtorrentPeer.Port"/>).</summary>
    public int Port { get; init; }

    /// <summary>Peers to dial with connect_peer (re-dialled every <see cref="RedialInterval"/> while not connected).</summary>
    public IReadOnlyList<IPEndPoint> ConnectTo { get; init; } = [];

    public TimeSpan RedialInterval { get; init; } = TimeSpan.FromSeconds(3);

    /// <summary>Announce URLs replacing the torrent's own; empty keeps the torrent's (unless <see cref="NoTrackers"/>).</summary>
    public IReadOnlyList<string> Trackers { get; init; } = [];

    /// <summary>Ignore the torrent's trackers.</summary>
    public bool NoTrackers { get; init; }

    /// <summary>Force a re-announce this often (opentracker's interval is ~30 min); null follows the tracker.</summary>
    public TimeSpan? ReannounceInterval { get; init; }

    /// <summary>Per-torrent upload limit in bytes/s (0 = none).</summary>
    public int UploadLimit { get; init; }

    /// <summary>Per-torrent download limit in bytes/s (0 = none).</summary>
    public int DownloadLimit { get; init; }

    public bool EnableUtp { get; init; }

    /// <summary>uTP on, TCP off (incoming and outgoing): the peer speaks only uTP.</summary>
    public bool UtpOnly { get; init; }

    /// <summary>"enabled" (libtorrent's default: plaintext accepted), "forced" or "disabled".</summary>
    public string Encryption { get; init; } = "enabled";

    /// <summary>MSE methods allowed: "both" (libtorrent's default), "rc4" (RC4 only) or "plaintext".</summary>
    public string EncryptionLevel { get; init; } = "both";

    /// <summary>Seed without hashing the data first (libtorrent seed_mode).</summary>
    public bool SkipCheck { get; init; }

    public TimeSpan StatusInterval { get; init; } = TimeSpan.FromMilliseconds(250);

    /// <summary>Include per-peer details in status lines.</summary>
    public bool PeersInStatus { get; init; }

    /// <summary>DHT nodes to join through (lt_peer.py --dht-bootstrap); any turns libtorrent's DHT on, set up for loopback.</summary>
    public IReadOnlyList<IPEndPoint> DhtBootstrap { get; init; } = [];

    /// <summary>Force a DHT announce this often (lt_peer.py --dht-announce-interval); null follows libtorrent's schedule.</summary>
    public TimeSpan? DhtAnnounceInterval { get; init; }

    /// <summary>Seconds between libtorrent's unchoke rounds (lt_peer.py --unchoke-interval); null = libtorrent's 15 s.</summary>
    public int? UnchokeInterval { get; init; }

    /// <summary>Loopback peers count against unchoke_slots_limit (libtorrent exempts local peers by default).</summary>
    public bool LocalUnchokeSlots { get; init; }

    /// <summary>Wire messages to report, as libtorrent's peer log names them ("CHOKE,REJECT_PIECE", "all"); see <see cref="LibtorrentPeer.PeerMessages"/>.</summary>
    public string? LogPeerMessages { get; init; }

    /// <summary>Listen address (default 127.0.0.1; another only inside a test's own network namespace).</summary>
    public string? Bind { get; init; }

    /// <summary>libtorrent's Local Service Discovery (BEP 14 multicast): only inside a test's own network namespace.</summary>
    public bool Lsd { get; init; }

    /// <summary>Program and arguments put before python (e.g. ip netns exec NS).</summary>
    public IReadOnlyList<string> Launcher { get; init; } = [];
}

/// <summary>One JSON status line of lt_peer.py.</summary>
public sealed record LibtorrentStatus(
    string Event, string State, double Progress, bool IsSeeding, long TotalPayloadUpload, long TotalPayloadDownload,
    int NumPeers, int NumSeeds, int DownloadRate, int UploadRate, int ListenPort, string Error, JsonElement Raw)
{
    internal static LibtorrentStatus From(JsonElement json) => new(
        json.GetProperty("event").GetString() ?? "",
        json.GetProperty("state").GetString() ?? "",
        json.GetProperty("progress").GetDouble(),
        json.GetProperty("is_seeding").GetBoolean(),
        json.GetProperty("total_payload_upload").GetInt64(),
        json.GetProperty("total_payload_download").GetInt64(),
        json.GetProperty("num_peers").GetInt32(),
        json.GetProperty("num_seeds").GetInt32(),
        json.GetProperty("download_rate").GetInt32(),
        json.GetProperty("upload_rate").GetInt32(),
        json.GetProperty("listen_port").GetInt32(),
        json.GetProperty("error").GetString() ?? "",
        json);

    public override string ToString() =>
        $"{Event} {State} progress={Progress:0.###} up={TotalPayloadUpload} down={TotalPayloadDownload} peers={NumPeers}";
}

/// <summary>
/// A libtorrent 2.0 peer (scripts/swarm/lt_peer.py under /usr/bin/python3) on 127.0.0.1 with DHT, LSD,
/// UPnP and NAT-PMP off and several connections per IP allowed. Status comes from its JSON lines.
/// </summary>
public sealed class LibtorrentPeer : IAsyncDisposable
{
    private long _nextCommandId;

    private LibtorrentPeer(ExternalProcess process, LibtorrentPeerOptions options, int port, string infoHash)
    {
        Process = process;
        Options = options;
        Port = port;
        InfoHash = infoHash;
    }

    public ExternalProcess Process { get; }

    public LibtorrentPeerOptions Options { get; }

    /// <summary>The port it listens on (127.0.0.1).</summary>
    public int Port { get; }

    public IPEndPoint EndPoint => new(IPAddress.Loopback, Port);

    /// <summary>v1 info-hash, lowercase hex.</summary>
    public string InfoHash { get; }

    /// <summary>The latest status line (status, complete or done event), or null before the first.</summary>
    public LibtorrentStatus? LatestStatus =>
        Process.LastJsonLine(IsStatusLine) is { } json ? LibtorrentStatus.From(json) : null;

    /// <summary>Starts lt_peer.py and waits for its "started" line (listening).</summary>
    public static async Task<LibtorrentPeer> StartAsync(LibtorrentPeerOptions options, CancellationToken cancellationToken = default)
    {
        var python = RequiredTool.EnsureLibtorrent();
        var args = BuildArguments(options);
        if (options.Launcher.Count > 0)
            args.InsertRange(0, [.. options.Launcher.Skip(1), python]);
        var process = ExternalProcess.Start(options.Launcher.Count > 0 ? options.Launcher[0] : python, args, name: $"lt_peer({options.Mode})");
        try
        {
            var started = await process.WaitForJsonLineAsync(j => EventIs(j, "started"), TimeSpan.FromSeconds(20),
                "the 'started' line", cancellationToken).ConfigureAwait(false);
            var port = started.GetProperty("listen_port").GetInt32();
            if (port == 0)
            {
                Assert.Fail($"lt_peer.py did not open a listen port.{Environment.NewLine}{process.Describe()}");
            }
            return new LibtorrentPeer(process, options, port, started.GetProperty("info_hash").GetString()!);
        }
        catch
        {
            await process.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>Seeds <paramref name="torrentPath"/> from <paramref name="saveDirectory"/> and waits until it seeds.</summary>
    public static async Task<LibtorrentPeer> StartSeedAsync(string torrentPath, string saveDirectory,
        Func<LibtorrentPeerOptions, LibtorrentPeerOptions>? configure = null, CancellationToken cancellationToken = default)
    {
        var options = new LibtorrentPeerOptions(torrentPath, saveDirectory) { Mode = LibtorrentMode.Seed };
        var peer = await StartAsync(configure is null ? options : configure(options) with { Mode = LibtorrentMode.Seed }, cancellationToken)
            .ConfigureAwait(false);
        try
        {
            await peer.WaitUntilSeedingAsync(TimeSpan.FromSeconds(30), cancellationToken).ConfigureAwait(false);
            return peer;
        }
        catch
        {
            await peer.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>Waits until a status line satisfies <paramref name="condition"/>; fails the test on timeout or exit.</summary>
    public async Task<LibtorrentStatus> WaitForStatusAsync(Func<LibtorrentStatus, bool> condition, TimeSpan timeout,
        string whatWeWaitFor, CancellationToken cancellationToken = default)
    {
        var json = await Process.WaitForJsonLineAsync(j => IsStatusLine(j) && condition(LibtorrentStatus.From(j)), timeout,
            whatWeWaitFor, cancellationToken).ConfigureAwait(false);
        return LibtorrentStatus.From(json);
    }

    /// <summary>Waits until the data is complete and checked (state seeding).</summary>
    public Task<LibtorrentStatus> WaitUntilSeedingAsync(TimeSpan timeout, CancellationToken cancellationToken = default) =>
        WaitForStatusAsync(s => s.IsSeeding, timeout, "libtorrent to be seeding (data complete and checked)", cancellationToken);

    /// <summary>Waits until the download completed (leech modes print a "complete" line).</summary>
    public Task<LibtorrentStatus> WaitUntilCompleteAsync(TimeSpan timeout, CancellationToken cancellationToken = default) =>
        WaitForStatusAsync(s => s.IsSeeding && s.Progress >= 1.0, timeout, "libtorrent to complete the download", cancellationToken);

    /// <summary>Waits until at least <paramref name="bytes"/> payload bytes were uploaded.</summary>
    public Task<LibtorrentStatus> WaitUntilUploadedAsync(long bytes, TimeSpan timeout, CancellationToken cancellationToken = default) =>
        WaitForStatusAsync(s => s.TotalPayloadUpload >= bytes, timeout, $"libtorrent to upload {bytes} payload bytes", cancellationToken);

    /// <summary>Dials a peer now and keeps re-dialling it while it is not connected.</summary>
    public Task ConnectPeerAsync(IPEndPoint peer, CancellationToken cancellationToken = default) =>
        SendCommandAsync($"connect {peer.Address}:{peer.Port}", cancellationToken);

    public Task ConnectPeerAsync(int port, CancellationToken cancellationToken = default) =>
        ConnectPeerAsync(new IPEndPoint(IPAddress.Loopback, port), cancellationToken);

    /// <summary>Sets the per-torrent upload limit in bytes/s (0 = none).</summary>
    public Task SetUploadLimitAsync(int bytesPerSecond, CancellationToken cancellationToken = default) =>
        SendCommandAsync($"upload-limit {bytesPerSecond.ToString(CultureInfo.InvariantCulture)}", cancellationToken);

    public Task SetDownloadLimitAsync(int bytesPerSecond, CancellationToken cancellationToken = default) =>
        SendCommandAsync($"download-limit {bytesPerSecond.ToString(CultureInfo.InvariantCulture)}", cancellationToken);

    /// <summary>Forces a tracker announce.</summary>
    /// <summary>Sets the session's unchoke_slots_limit (0: every peer is choked at the next unchoke round; -1: unlimited).</summary>
    public Task SetUnchokeSlotsAsync(int slots, CancellationToken cancellationToken = default) =>
        SendCommandAsync($"unchoke-slots {slots.ToString(CultureInfo.InvariantCulture)}", cancellationToken);

    /// <summary>The wire messages reported so far (<see cref="LibtorrentPeerOptions.LogPeerMessages"/>), oldest first.</summary>
    public IReadOnlyList<LibtorrentPeerMessage> PeerMessages() =>
        [.. Process.JsonLines().Where(j => EventIs(j, "peer_message")).Select(LibtorrentPeerMessage.From)];

    public Task ReannounceAsync(CancellationToken cancellationToken = default) => SendCommandAsync("reannounce", cancellationToken);

    /// <summary>Stops it with SIGTERM (kills after <paramref name="grace"/>) and returns the final "done" status if printed.</summary>
    public async Task<LibtorrentStatus?> StopAsync(TimeSpan? grace = null, CancellationToken cancellationToken = default)
    {
        await Process.StopAsync(grace ?? TimeSpan.FromSeconds(10), cancellationToken).ConfigureAwait(false);
        return Process.LastJsonLine(j => EventIs(j, "done")) is { } json ? LibtorrentStatus.From(json) : null;
    }

    /// <summary>Waits for a leecher (mode Leech) to exit by itself; fails the test on timeout or a non-zero exit code.</summary>
    public async Task<LibtorrentStatus> WaitForExitAsync(TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        await WaitForStatusAsync(s => s.Event == "done", timeout, "lt_peer.py to finish", cancellationToken).ConfigureAwait(false);
        var exit = await Process.WaitForExitAsync(TimeSpan.FromSeconds(15), cancellationToken).ConfigureAwait(false);
        if (exit != 0)
        {
            Assert.Fail($"lt_peer.py exited with {exit}.{Environment.NewLine}{Process.Describe()}");
        }
        return LibtorrentStatus.From(Process.LastJsonLine(j => EventIs(j, "done"))!.Value);
    }

    public ValueTask DisposeAsync() => Process.DisposeAsync();

    private async Task SendCommandAsync(string command, CancellationToken cancellationToken)
    {
        var id = Interlocked.Increment(ref _nextCommandId).ToString(CultureInfo.InvariantCulture);
        await Process.WriteLineAsync($"@{id} {command}", cancellationToken).ConfigureAwait(false);
        var reply = await Process.WaitForJsonLineAsync(
            j => (EventIs(j, "command_ok") || EventIs(j, "command_error")) &&
                 j.TryGetProperty("id", out var c) && c.GetString() == id,
            TimeSpan.FromSeconds(10), $"lt_peer.py to acknowledge '{command}'", cancellationToken).ConfigureAwait(false);
        if (EventIs(reply, "command_error"))
        {
            Assert.Fail($"lt_peer.py rejected '{command}': {reply.GetProperty("message").GetString()}");
        }
    }

    private static List<string> BuildArguments(LibtorrentPeerOptions o)
    {
        var inv = CultureInfo.InvariantCulture;
        var mode = o.Mode switch
        {
            LibtorrentMode.Seed => "seed",
            LibtorrentMode.Leech => "leech",
            LibtorrentMode.LeechThenSeed => "leech-seed",
            _ => throw new ArgumentOutOfRangeException(nameof(o), o.Mode, "unknown mode"),
        };
        var args = new List<string>
        {
            SwarmScripts.Path("lt_peer.py"), o.Magnet is null ? "--torrent" : "--magnet", o.Magnet ?? o.TorrentPath, "--save-dir", o.SaveDirectory, "--mode", mode,
            "--port", o.Port.ToString(inv), "--status-interval", o.StatusInterval.TotalSeconds.ToString("0.###", inv),
            "--redial-interval", o.RedialInterval.TotalSeconds.ToString("0.###", inv), "--encryption", o.Encryption,
            "--enc-level", o.EncryptionLevel,
        };
        foreach (var peer in o.ConnectTo)
        {
            args.AddRange(["--peer", $"{peer.Address}:{peer.Port.ToString(inv)}"]);
        }
        foreach (var tracker in o.Trackers)
        {
            args.AddRange(["--tracker", tracker]);
        }
        if (o.NoTrackers)
        {
            args.Add("--no-trackers");
        }
        if (o.ReannounceInterval is { } reannounce)
        {
            args.AddRange(["--reannounce-interval", reannounce.TotalSeconds.ToString("0.###", inv)]);
        }
        if (o.UploadLimit > 0)
        {
            args.AddRange(["--upload-limit", o.UploadLimit.ToString(inv)]);
        }
        if (o.DownloadLimit > 0)
        {
            args.AddRange(["--download-limit", o.DownloadLimit.ToString(inv)]);
        }
        if (o.EnableUtp)
        {
            args.Add("--utp");
        }
        if (o.UtpOnly)
        {
            args.Add("--utp-only");
        }
        if (o.SkipCheck)
        {
            args.Add("--skip-check");
        }
        if (o.PeersInStatus)
        {
            args.Add("--peers-in-status");
        }
        foreach (var node in o.DhtBootstrap)
        {
            args.AddRange(["--dht-bootstrap", $"{node.Address}:{node.Port.ToString(inv)}"]);
        }
        if (o.DhtAnnounceInterval is { } dhtAnnounce)
        {
            args.AddRange(["--dht-announce-interval", dhtAnnounce.TotalSeconds.ToString("0.###", inv)]);
        }
        if (o.UnchokeInterval is { } unchokeInterval)
        {
            args.AddRange(["--unchoke-interval", unchokeInterval.ToString(inv)]);
        }
        if (o.LocalUnchokeSlots)
        {
            args.Add("--local-unchoke-slots");
        }
        if (!string.IsNullOrEmpty(o.LogPeerMessages))
        {
            args.AddRange(["--log-peer-messages", o.LogPeerMessages]);
        }

        if (o.Bind is { } bind)
            args.AddRange(["--bind", bind]);
        if (o.Lsd)
            args.Add("--lsd");
        return args;
    }

    private static bool EventIs(JsonElement json, string name) =>
        json.TryGetProperty("event", out var e) && e.GetString() == name;

    private static bool IsStatusLine(JsonElement json) =>
        EventIs(json, "status") || EventIs(json, "complete") || EventIs(json, "done");
}
