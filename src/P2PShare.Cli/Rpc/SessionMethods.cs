using System.Net.Sockets;
using System.Text.Json;
using Microsoft.Extensions.Hosting;
using P2PShare.Cli.Daemon;
using P2PShare.Engine;

namespace P2PShare.Cli.Rpc;

/// <summary>session-get, session-set, session-stats, session-close, port-test and free-space.</summary>
internal sealed class SessionMethods(TorrentService service, ClientEngine engine, RpcSessionId sessionId, IHostApplicationLifetime lifetime, TimeProvider time)
{
    private readonly DateTimeOffset _startedAt = time.GetUtcNow();

    public Task GetAsync(RpcCall call, Utf8JsonWriter writer, CancellationToken cancellationToken)
    {
        var s = service.Settings.Current;
        HashSet<string>? only = call.Get("fields") is { ValueKind: JsonValueKind.Array } fields
            ? [.. fields.EnumerateArray().Where(f => f.ValueKind == JsonValueKind.String).Select(f => f.GetString()!)]
            : null;
        bool Want(string name) => only is null || only.Contains(name);
        void Number(string name, double value) { if (Want(name)) writer.WriteNumber(name, value); }
        void Bool(string name, bool value) { if (Want(name)) writer.WriteBoolean(name, value); }
        void Text(string name, string value) { if (Want(name)) writer.WriteString(name, value); }

        Text("version", "3.00 (p2pshare)");
        Number("rpc-version", 16);
        Number("rpc-version-minimum", 1);
        Text("rpc-version-semver", "5.2.0");
        Text("session-id", sessionId.Value);
        Text("config-dir", service.Catalog.ConfigDirectory);
        Text("download-dir", s.DownloadDir);
        if (Want("download-dir-free-space"))
            writer.WriteNumber("download-dir-free-space", FreeSpace(s.DownloadDir)?.Free ?? -1);
        Number("peer-port", engine.Port);
        Bool("peer-port-random-on-start", false);
        Bool("port-forwarding-enabled", false);
        Number("peer-limit-global", s.PeerLimitGlobal);
        Number("peer-limit-per-torrent", s.PeerLimitPerTorrent);
        Number("speed-limit-down", s.SpeedLimitDown);
        Bool("speed-limit-down-enabled", s.SpeedLimitDownEnabled);
        Number("speed-limit-up", s.SpeedLimitUp);
        Bool("speed-limit-up-enabled", s.SpeedLimitUpEnabled);
        Bool("alt-speed-enabled", false);
        Number("alt-speed-down", 50);
        Number("alt-speed-up", 50);
        Bool("alt-speed-time-enabled", false);
        Number("alt-speed-time-begin", 540);
        Number("alt-speed-time-end", 1020);
        Number("alt-speed-time-day", 127);
        Number("download-queue-size", s.DownloadQueueSize);
        Bool("download-queue-enabled", s.DownloadQueueEnabled);
        Number("seed-queue-size", s.SeedQueueSize);
        Bool("seed-queue-enabled", s.SeedQueueEnabled);
        Bool("queue-stalled-enabled", false);
        Number("queue-stalled-minutes", 30);
        Bool("start-added-torrents", s.StartAddedTorrents);
        Bool("dht-enabled", s.DhtEnabled);
        Bool("pex-enabled", true);
        Bool("lpd-enabled", false);
        Bool("utp-enabled", engine.Settings.Transport != PeerTransportMode.Tcp);
        Text("encryption", s.Encryption switch { "require" => "required", "disable" => "tolerated", _ => "preferred" });
        Bool("seedRatioLimited", s.RatioLimit is not null);
        Number("seedRatioLimit", s.RatioLimit ?? 2.0);
        Bool("idle-seeding-limit-enabled", false);
        Number("idle-seeding-limit", 30);
        Bool("incomplete-dir-enabled", false);
        Text("incomplete-dir", s.DownloadDir);
        Bool("rename-partial-files", false);
        Bool("trash-original-torrent-files", false);
        Bool("blocklist-enabled", false);
        Number("blocklist-size", 0);
        Text("blocklist-url", "");
        Number("cache-size-mb", engine.Settings.ReadCacheBytes / (1024 * 1024));
        Bool("script-torrent-done-enabled", false);
        Text("script-torrent-done-filename", "");
        Bool("watch-dir-enabled", s.WatchDirEnabled);
        Text("watch-dir", s.WatchDir ?? "");
        if (Want("units"))
        {
            writer.WriteStartObject("units");
            WriteStrings(writer, "speed-units", ["kB/s", "MB/s", "GB/s", "TB/s"]);
            writer.WriteNumber("speed-bytes", 1000);
            WriteStrings(writer, "size-units", ["kB", "MB", "GB", "TB"]);
            writer.WriteNumber("size-bytes", 1000);
            WriteStrings(writer, "memory-units", ["KiB", "MiB", "GiB", "TiB"]);
            writer.WriteNumber("memory-bytes", 1024);
            writer.WriteEndObject();
        }
        return Task.CompletedTask;
    }

    public async Task SetAsync(RpcCall call, Utf8JsonWriter writer, CancellationToken cancellationToken)
    {
        var downloadDir = call.String("download-dir");
        if (downloadDir is not null && (!DaemonSettings.IsDirectoryText(downloadDir) || !Path.IsPathFullyQualified(downloadDir)))
            throw new RpcError($"download-dir '{P2PShare.Metainfo.DisplayText.OneLine(downloadDir)}' is not an absolute path");
        var encryption = call.String("encryption") switch
        {
            null => null,
            "required" => "require",
            "preferred" => "prefer",
            "tolerated" => "disable",
            var other => throw new RpcError($"encryption '{other}': must be required, preferred or tolerated"),
        };
        var peerPort = Ranged(call, "peer-port", nameof(DaemonSettings.Port));
        var ratioLimited = call.Bool("seedRatioLimited");
        var ratio = call.Double("seedRatioLimit");
        if (ratio is < 0)
            throw new RpcError("seedRatioLimit must not be negative");
        var next = Ranged(call, "speed-limit-down", nameof(DaemonSettings.SpeedLimitDown));
        var nextUp = Ranged(call, "speed-limit-up", nameof(DaemonSettings.SpeedLimitUp));
        var peersGlobal = Ranged(call, "peer-limit-global", nameof(DaemonSettings.PeerLimitGlobal));
        var peersTorrent = Ranged(call, "peer-limit-per-torrent", nameof(DaemonSettings.PeerLimitPerTorrent));
        var downloadQueue = Ranged(call, "download-queue-size", nameof(DaemonSettings.DownloadQueueSize));
        var seedQueue = Ranged(call, "seed-queue-size", nameof(DaemonSettings.SeedQueueSize));
        await service.Settings.UpdateAsync(s =>
        {
            var changed = s with
            {
                DownloadDir = downloadDir ?? s.DownloadDir,
                Encryption = encryption ?? s.Encryption,
                Port = peerPort ?? s.Port,
                SpeedLimitDown = next ?? s.SpeedLimitDown,
                SpeedLimitDownEnabled = call.Bool("speed-limit-down-enabled") ?? s.SpeedLimitDownEnabled,
                SpeedLimitUp = nextUp ?? s.SpeedLimitUp,
                SpeedLimitUpEnabled = call.Bool("speed-limit-up-enabled") ?? s.SpeedLimitUpEnabled,
                PeerLimitGlobal = peersGlobal ?? s.PeerLimitGlobal,
                PeerLimitPerTorrent = peersTorrent ?? s.PeerLimitPerTorrent,
                DownloadQueueSize = downloadQueue ?? s.DownloadQueueSize,
                DownloadQueueEnabled = call.Bool("download-queue-enabled") ?? s.DownloadQueueEnabled,
                SeedQueueSize = seedQueue ?? s.SeedQueueSize,
                SeedQueueEnabled = call.Bool("seed-queue-enabled") ?? s.SeedQueueEnabled,
                StartAddedTorrents = call.Bool("start-added-torrents") ?? s.StartAddedTorrents,
                DhtEnabled = call.Bool("dht-enabled") ?? s.DhtEnabled,
                RatioLimit = (ratioLimited ?? s.RatioLimit is not null) ? ratio ?? s.RatioLimit ?? 2.0 : null,
            };
            // What the engine would refuse at the next start is refused now, before anything is saved or applied
            // (ArgumentException: the reply's result names the rule).
            _ = DaemonApplication.EngineSettingsFor(changed, service.Catalog.ConfigDirectory);
            _ = new EngineOptions { MaxPeers = changed.PeerLimitPerTorrent }.Validate();
            return changed;
        }, cancellationToken).ConfigureAwait(false);
        await service.ApplyQueueAsync(cancellationToken).ConfigureAwait(false);
    }

    public Task StatsAsync(RpcCall call, Utf8JsonWriter writer, CancellationToken cancellationToken)
    {
        var torrents = service.Torrents;
        long down = 0, up = 0, active = 0, downloaded = 0, uploaded = 0;
        foreach (var torrent in torrents)
        {
            if (torrent.IsRunning && torrent.Progress is { } p)
            {
                down += (long)p.DownloadRate;
                up += (long)p.UploadRate;
                if (p.DownloadRate > 0 || p.UploadRate > 0)
                    active++;
            }
            downloaded += torrent.DownloadedEver;
            uploaded += torrent.UploadedEver;
        }
        var seconds = (long)(time.GetUtcNow() - _startedAt).TotalSeconds;
        writer.WriteNumber("activeTorrentCount", active);
        writer.WriteNumber("pausedTorrentCount", torrents.Count(t => !t.IsRunning));
        writer.WriteNumber("torrentCount", torrents.Count);
        writer.WriteNumber("downloadSpeed", down);
        writer.WriteNumber("uploadSpeed", up);
        foreach (var name in (string[])["cumulative-stats", "current-stats"])
        {
            writer.WriteStartObject(name);
            writer.WriteNumber("downloadedBytes", downloaded);
            writer.WriteNumber("uploadedBytes", uploaded);
            writer.WriteNumber("filesAdded", torrents.Count);
            writer.WriteNumber("sessionCount", 1);
            writer.WriteNumber("secondsActive", seconds);
            writer.WriteEndObject();
        }
        return Task.CompletedTask;
    }

    public Task CloseAsync(RpcCall call, Utf8JsonWriter writer, CancellationToken cancellationToken)
    {
        lifetime.StopApplication();
        return Task.CompletedTask;
    }

    /// <summary>Whether our peer port accepts TCP connections. Only tested from this machine: no outside service is asked.</summary>
    public async Task PortTestAsync(RpcCall call, Utf8JsonWriter writer, CancellationToken cancellationToken)
    {
        var open = false;
        using var client = new TcpClient();
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(5));
        try
        {
            var address = engine.Settings.ListenAddress.Equals(System.Net.IPAddress.Any) ? System.Net.IPAddress.Loopback : engine.Settings.ListenAddress;
            await client.ConnectAsync(address, engine.Port, timeout.Token).ConfigureAwait(false);
            open = true;
        }
        catch (Exception error) when (error is SocketException or OperationCanceledException)
        {
        }
        writer.WriteBoolean("port-is-open", open);
    }

    public Task FreeSpaceAsync(RpcCall call, Utf8JsonWriter writer, CancellationToken cancellationToken)
    {
        var path = call.String("path") ?? throw new RpcError("no path given");
        if (!Path.IsPathFullyQualified(path))
            throw new RpcError($"'{path}' is not an absolute path");
        var space = FreeSpace(path) ?? throw new RpcError($"{path}: no such directory");
        writer.WriteString("path", path);
        writer.WriteNumber("size-bytes", space.Free);
        writer.WriteNumber("total_size", space.Total);
        return Task.CompletedTask;
    }

    private static (long Free, long Total)? FreeSpace(string path)
    {
        // The nearest existing directory: a download directory may not exist before the first download.
        var directory = path;
        while (!Directory.Exists(directory))
        {
            directory = Path.GetDirectoryName(directory);
            if (directory is null)
                return null;
        }
        try
        {
            var drive = new DriveInfo(directory);
            return (drive.AvailableFreeSpace, drive.TotalSize);
        }
        catch (Exception error) when (error is IOException or UnauthorizedAccessException or ArgumentException)
        {
            return null;
        }
    }

    /// <summary>The argument <paramref name="name"/> within the range of the setting <paramref name="key"/>; refused (naming both ends) otherwise.</summary>
    private static int? Ranged(RpcCall call, string name, string key)
    {
        if (call.Long(name) is not { } value)
            return null;
        var (min, max) = DaemonSettings.RangeOf(key);
        return DaemonSettings.InRange(key, value) ? (int)value : throw new RpcError($"{name} must be from {min} to {max}");
    }

    private static void WriteStrings(Utf8JsonWriter writer, string name, string[] values)
    {
        writer.WriteStartArray(name);
        foreach (var value in values)
            writer.WriteStringValue(value);
        writer.WriteEndArray();
    }
}
