using System.CommandLine;

namespace P2PShare.Cli.Daemon;

/// <summary>'p2pshare daemon': the engine as a long-lived service, driven over the Transmission RPC.</summary>
internal static class DaemonCommand
{
    public static readonly Option<int?> RpcPort = new("--rpc-port") { Description = "Port of the RPC and web UI (default 9091)." };
    public static readonly Option<string?> RpcBind = new("--rpc-bind") { Description = "Address the RPC listens on (default 127.0.0.1; any other needs --rpc-username and --rpc-password)." };
    public static readonly Option<string?> RpcUsername = new("--rpc-username") { Description = "User name for HTTP basic auth of the RPC." };
    public static readonly Option<string?> RpcPassword = new("--rpc-password") { Description = "Password for HTTP basic auth of the RPC (kept only as a PBKDF2 hash)." };
    public static readonly Option<int?> Port = new("--port") { Description = "Peer port, TCP and UDP (default 6881; the next free one if taken)." };
    public static readonly Option<string?> Bind = new("--bind") { Description = "Address the peer port listens on (default: all)." };
    public static readonly Option<string?> DownloadDir = new("--download-dir") { Description = "Where new torrents' data goes (default ~/Downloads)." };
    public static readonly Option<string?> ConfigDir = new("--config-dir") { Description = "settings.json, the torrent list and resume data (default ~/.config/p2pshare/daemon)." };
    public static readonly Option<string?> WatchDir = new("--watch-dir") { Description = "Add the .torrent files that appear in this directory." };
    public static readonly Option<int?> NativePort = new("--native-port") { Description = "Also serve single-file torrents to native JSON protocol nodes on this TCP port (setting NativePort)." };
    public static readonly Option<bool> NoDht = new("--no-dht") { Description = "Do not run a DHT node (same as DhtEnabled=false)." };

    public static Command Create()
    {
        var command = new Command("daemon", "Run as a service: torrents added, started and stopped over the Transmission RPC (transmission-remote works), kept across restarts.");
        foreach (var option in new Option[] { RpcPort, RpcBind, RpcUsername, RpcPassword, Port, Bind, DownloadDir, ConfigDir, WatchDir, NoDht, NativePort })
            command.Options.Add(option);
        command.SetAction((parse, cancellationToken) => DaemonApplication.RunAsync(parse, cancellationToken));
        return command;
    }

    /// <summary>The options given on the command line, as configuration keys (only those given: they override the rest).</summary>
    public static Dictionary<string, string?> Overrides(ParseResult parse)
    {
        var values = new Dictionary<string, string?>();
        void Set<T>(Option<T> option, string key)
        {
            if (parse.GetValue(option) is { } value)
                values[key] = Convert.ToString(value, System.Globalization.CultureInfo.InvariantCulture);
        }
        Set(RpcPort, nameof(DaemonSettings.RpcPort));
        Set(RpcBind, nameof(DaemonSettings.RpcBind));
        Set(RpcUsername, nameof(DaemonSettings.RpcUsername));
        Set(RpcPassword, "RpcPassword");
        Set(Port, nameof(DaemonSettings.Port));
        Set(Bind, nameof(DaemonSettings.PeerBind));
        Set(DownloadDir, nameof(DaemonSettings.DownloadDir));
        Set(WatchDir, nameof(DaemonSettings.WatchDir));
        Set(NativePort, nameof(DaemonSettings.NativePort));
        if (parse.GetValue(NoDht))
            values[nameof(DaemonSettings.DhtEnabled)] = "false";
        return values;
    }

    public static string DefaultConfigDir()
    {
        return Path.Combine(Configuration.CliConfiguration.ConfigDirectory(), "daemon");
    }
}
