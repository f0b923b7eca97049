using System.Globalization;
using System.Net;
using Microsoft.Extensions.Configuration;

namespace P2PShare.Cli.Daemon;

/// <summary>
/// The daemon's settings, immutable. Read from configuration (settings.json in the config directory, then
/// P2PSHARE__ environment variables, then command-line options); the key of each is its property name.
/// </summary>
internal sealed record DaemonSettings
{
    public int RpcPort { get; init; } = 9091;

    public string RpcBind { get; init; } = "127.0.0.1";

    public string? RpcUsername { get; init; }

    /// <summary>PBKDF2 hash of the RPC password (<see cref="PasswordHash"/> format); a plain RpcPassword is hashed on start.</summary>
    public string? RpcPasswordHash { get; init; }

    /// <summary>Host names accepted in the Host header besides IP literals and localhost (comma-separated in configuration).</summary>
    public IReadOnlyList<string> RpcHostWhitelist { get; init; } = [];

    public int Port { get; init; } = 6881;

    /// <summary>TCP port for native JSON protocol peers of single-file torrents (docs/hybrid-node.md); null: off.</summary>
    public int? NativePort { get; init; }

    /// <summary>Address the peer port listens on.</summary>
    public string PeerBind { get; init; } = "0.0.0.0";

    public string DownloadDir { get; init; } = DefaultDownloadDir();

    public string? WatchDir { get; init; }

    public bool WatchDirEnabled { get; init; }

    public bool StartAddedTorrents { get; init; } = true;

    /// <summary>KiB/s.</summary>
    public long SpeedLimitDown { get; init; } = 100;

    public bool SpeedLimitDownEnabled { get; init; }

    /// <summary>KiB/s.</summary>
    public long SpeedLimitUp { get; init; } = 100;

    public bool SpeedLimitUpEnabled { get; init; }

    public int PeerLimitGlobal { get; init; } = 500;

    public int PeerLimitPerTorrent { get; init; } = 50;

    public int DownloadQueueSize { get; init; } = 5;

    public bool DownloadQueueEnabled { get; init; } = true;

    public int SeedQueueSize { get; init; } = 10;

    public bool SeedQueueEnabled { get; init; }

    public bool DhtEnabled { get; init; } = true;

    /// <summary>prefer, require or disable.</summary>
    public string Encryption { get; init; } = "prefer";

    /// <summary>0 never seeds after completion; null: seed until stopped.</summary>
    public double? RatioLimit { get; init; }

    /// <summary>Keys session-set may change and settings.json keeps.</summary>
    public static readonly string[] PersistedKeys =
    [
        nameof(DownloadDir), nameof(Port), nameof(SpeedLimitDown), nameof(SpeedLimitDownEnabled), nameof(SpeedLimitUp), nameof(SpeedLimitUpEnabled),
        nameof(PeerLimitGlobal), nameof(PeerLimitPerTorrent), nameof(DownloadQueueSize), nameof(DownloadQueueEnabled), nameof(SeedQueueSize),
        nameof(SeedQueueEnabled), nameof(StartAddedTorrents), nameof(DhtEnabled), nameof(Encryption), nameof(WatchDir), nameof(WatchDirEnabled), nameof(RatioLimit),
    ];

    /// <summary>
    /// The allowed range of each whole-number setting. The start refuses a value outside it and so does session-set, so
    /// that nothing session-set saves can keep the daemon from starting again. Speed limits are KiB/s: int.MaxValue KiB/s
    /// still fits the engine's bytes/s in a long.
    /// </summary>
    public static (long Min, long Max) RangeOf(string key) => key switch
    {
        nameof(RpcPort) or nameof(Port) or nameof(NativePort) => (0, IPEndPoint.MaxPort),
        nameof(SpeedLimitDown) or nameof(SpeedLimitUp) => (0, int.MaxValue),
        nameof(PeerLimitGlobal) => (1, 100_000),
        nameof(PeerLimitPerTorrent) => (1, 10_000),
        nameof(DownloadQueueSize) or nameof(SeedQueueSize) => (0, 100_000),
        _ => throw new ArgumentOutOfRangeException(nameof(key), key, "not a whole-number setting"),
    };

    public static bool InRange(string key, long value) => RangeOf(key) is var (min, max) && value >= min && value <= max;

    /// <summary>Whether a directory setting can name a directory at all: not empty, and no NUL (no path holds one).</summary>
    public static bool IsDirectoryText(string text) => text.Length > 0 && !text.Contains('\0', StringComparison.Ordinal);

    public static DaemonSettings From(IConfiguration configuration)
    {
        var defaults = new DaemonSettings();
        return new DaemonSettings
        {
            RpcPort = Int(configuration, nameof(RpcPort), defaults.RpcPort),
            RpcBind = configuration[nameof(RpcBind)] ?? defaults.RpcBind,
            RpcUsername = NullIfEmpty(configuration[nameof(RpcUsername)]),
            RpcPasswordHash = NullIfEmpty(configuration[nameof(RpcPasswordHash)]),
            RpcHostWhitelist = (configuration[nameof(RpcHostWhitelist)] ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries),
            Port = Int(configuration, nameof(Port), defaults.Port),
            NativePort = string.IsNullOrEmpty(configuration[nameof(NativePort)]) ? null : Int(configuration, nameof(NativePort), 0),
            PeerBind = configuration[nameof(PeerBind)] ?? defaults.PeerBind,
            DownloadDir = FullPath(nameof(DownloadDir), configuration[nameof(DownloadDir)] ?? defaults.DownloadDir),
            WatchDir = NullIfEmpty(configuration[nameof(WatchDir)]) is { } watch ? FullPath(nameof(WatchDir), watch) : null,
            WatchDirEnabled = Bool(configuration, nameof(WatchDirEnabled), NullIfEmpty(configuration[nameof(WatchDir)]) is not null),
            StartAddedTorrents = Bool(configuration, nameof(StartAddedTorrents), defaults.StartAddedTorrents),
            SpeedLimitDown = Int(configuration, nameof(SpeedLimitDown), (int)defaults.SpeedLimitDown),
            SpeedLimitDownEnabled = Bool(configuration, nameof(SpeedLimitDownEnabled), false),
            SpeedLimitUp = Int(configuration, nameof(SpeedLimitUp), (int)defaults.SpeedLimitUp),
            SpeedLimitUpEnabled = Bool(configuration, nameof(SpeedLimitUpEnabled), false),
            PeerLimitGlobal = Int(configuration, nameof(PeerLimitGlobal), defaults.PeerLimitGlobal),
            PeerLimitPerTorrent = Int(configuration, nameof(PeerLimitPerTorrent), defaults.PeerLimitPerTorrent),
            DownloadQueueSize = Int(configuration, nameof(DownloadQueueSize), defaults.DownloadQueueSize),
            DownloadQueueEnabled = Bool(configuration, nameof(DownloadQueueEnabled), defaults.DownloadQueueEnabled),
            SeedQueueSize = Int(configuration, nameof(SeedQueueSize), defaults.SeedQueueSize),
            SeedQueueEnabled = Bool(configuration, nameof(SeedQueueEnabled), defaults.SeedQueueEnabled),
            DhtEnabled = Bool(configuration, nameof(DhtEnabled), defaults.DhtEnabled),
            Encryption = configuration[nameof(Encryption)] ?? defaults.Encryption,
            RatioLimit = configuration[nameof(RatioLimit)] is { Length: > 0 } ratio ? Double(nameof(RatioLimit), ratio) : null,
        };
    }

    public static string DefaultDownloadDir() =>
        Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), "Downloads");

    private static string? NullIfEmpty(string? text) => string.IsNullOrEmpty(text) ? null : text;

    private static int Int(IConfiguration configuration, string key, int fallback)
    {
        var text = configuration[key];
        if (string.IsNullOrEmpty(text))
            return fallback;
        var (min, max) = RangeOf(key);
        if (!int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var value) || !InRange(key, value))
            throw new UserErrorException($"setting {key} = '{text}': must be a whole number from {min} to {max}");
        return value;
    }

    private static bool Bool(IConfiguration configuration, string key, bool fallback)
    {
        var text = configuration[key];
        if (string.IsNullOrEmpty(text))
            return fallback;
        return bool.TryParse(text, out var value) ? value : throw new UserErrorException($"setting {key} = '{text}': must be true or false");
    }

    /// <summary>A directory setting made absolute; an empty one or one with a NUL character is refused in one line.</summary>
    private static string FullPath(string key, string text) =>
        IsDirectoryText(text)
            ? Path.GetFullPath(text)
            : throw new UserErrorException($"setting {key} = '{P2PShare.Metainfo.DisplayText.OneLine(text)}': must be a directory path");

    private static double Double(string key, string text) =>
        double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var value) && value >= 0
            ? value
            : throw new UserErrorException($"setting {key} = '{text}': must be a number, 0 or more");
}
