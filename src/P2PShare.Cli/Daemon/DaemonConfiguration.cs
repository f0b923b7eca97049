using System.Net;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Configuration;

namespace P2PShare.Cli.Daemon;

/// <summary>
/// Reads the daemon's settings the .NET way: settings.json in the config directory, then P2PSHARE__KEY environment
/// variables, then the command line. A plain RpcPassword is replaced by its hash (and removed from settings.json).
/// The checks that make the daemon refuse to start are here.
/// </summary>
internal static class DaemonConfiguration
{
    public const string EnvironmentPrefix = "P2PSHARE__";
    public const string PlainPasswordKey = "RpcPassword";

    /// <param name="sharedSettingsPath">The settings file every command reads (~/.config/p2pshare/settings.json or --config),
    /// read before the daemon's own: its top-level keys with the same names (Port, Encryption...) apply to the daemon too.</param>
    public static async Task<(DaemonSettings Settings, string SettingsPath)> LoadAsync(string configDirectory, IReadOnlyDictionary<string, string?> overrides, CancellationToken cancellationToken,
        string? sharedSettingsPath = null)
    {
        Directory.CreateDirectory(configDirectory);
        var settingsPath = Path.Combine(configDirectory, "settings.json");
        var builder = new ConfigurationBuilder();
        // The shared file was checked when the command line was parsed (CliConfiguration.Load): an error here is in the daemon's own.
        if (sharedSettingsPath is not null)
            Configuration.CliConfiguration.AddSettingsFile(builder, sharedSettingsPath);
        Configuration.CliConfiguration.AddSettingsFile(builder, settingsPath);
        builder.AddEnvironmentVariables(EnvironmentPrefix).AddInMemoryCollection(overrides);
        IConfiguration configuration = Configuration.CliConfiguration.Build(builder, settingsPath);
        var settings = DaemonSettings.From(configuration);
        if (configuration[PlainPasswordKey] is { Length: > 0 } plain)
        {
            settings = settings with { RpcPasswordHash = PasswordHash.Create(plain) };
            await MovePlainPasswordOutOfFileAsync(settingsPath, settings.RpcPasswordHash, cancellationToken).ConfigureAwait(false);
        }
        Validate(settings);
        return (settings, settingsPath);
    }

    /// <summary>Throws <see cref="UserErrorException"/> (exit code 2, one line) for settings the daemon must not run with.</summary>
    public static void Validate(DaemonSettings settings)
    {
        if (!IPAddress.TryParse(settings.RpcBind, out var rpcBind))
            throw new UserErrorException($"--rpc-bind '{settings.RpcBind}' is not an IP address");
        if (!IPAddress.TryParse(settings.PeerBind, out _))
            throw new UserErrorException($"--bind '{settings.PeerBind}' is not an IP address");
        if ((settings.RpcUsername is null) != (settings.RpcPasswordHash is null))
            throw new UserErrorException("--rpc-username and --rpc-password go together: give both or neither");
        if (!IPAddress.IsLoopback(rpcBind) && settings.RpcUsername is null)
            throw new UserErrorException($"--rpc-bind {settings.RpcBind} is reachable from other machines: set --rpc-username and --rpc-password (or bind to 127.0.0.1)");
        if (settings.Encryption is not ("prefer" or "require" or "disable"))
            throw new UserErrorException($"setting Encryption = '{settings.Encryption}': must be prefer, require or disable");
    }

    /// <summary>A password written in settings.json is kept there only as its hash from the first start on.</summary>
    private static async Task MovePlainPasswordOutOfFileAsync(string settingsPath, string hash, CancellationToken cancellationToken)
    {
        if (!File.Exists(settingsPath))
            return;
        // Read as the configuration read it (comments allowed; the key in any case), or the plain password would stay.
        if (!SettingsStore.HasKey(await File.ReadAllBytesAsync(settingsPath, cancellationToken).ConfigureAwait(false), PlainPasswordKey, settingsPath))
            return;
        await SettingsStore.WriteAsync(settingsPath, new Dictionary<string, JsonNode?> { [nameof(DaemonSettings.RpcPasswordHash)] = hash }, [PlainPasswordKey], cancellationToken)
            .ConfigureAwait(false);
    }
}
