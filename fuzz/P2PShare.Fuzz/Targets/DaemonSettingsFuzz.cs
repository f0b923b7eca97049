using Microsoft.Extensions.Configuration;
using P2PShare.Cli;
using P2PShare.Cli.Configuration;
using P2PShare.Cli.Daemon;

namespace P2PShare.Fuzz.Targets;

/// <summary>
/// The <c>daemon-settings</c> target: the daemon's settings.json as the daemon reads it at start (the JSON configuration
/// provider, <see cref="DaemonSettings.From"/>, <see cref="DaemonConfiguration.Validate"/>, the engine settings made from
/// it), then written back as session-set and the password move write it (<see cref="SettingsStore.Merge"/>) and read
/// again. Only <see cref="UserErrorException"/> (the daemon refuses to start with one line, exit 2) may escape the
/// read; a file it accepted must be written back, and must read back to the same settings.
/// </summary>
internal static class DaemonSettingsFuzz
{
    private const string SettingsPath = "/fuzz/daemon/settings.json";

    public static void Run(byte[] input)
    {
        var settings = Read(input);
        DaemonConfiguration.Validate(settings);
        DaemonApplication.EngineSettingsFor(settings, "/fuzz/daemon");
        var values = SettingsStore.Persisted(settings);
        byte[] written;
        try
        {
            written = SettingsStore.Merge(input, values, [DaemonConfiguration.PlainPasswordKey], SettingsPath);
        }
        catch (InvalidDataException error)
        {
            throw new InvalidOperationException($"invariant: settings the daemon started with cannot be written back: {error.Message}", error);
        }
        DaemonSettings again;
        try
        {
            again = Read(written);
        }
        catch (UserErrorException error)
        {
            throw new InvalidOperationException($"invariant: the settings written back do not read again: {error.Message}", error);
        }
        if (again with { RpcHostWhitelist = [] } != settings with { RpcHostWhitelist = [] } || !again.RpcHostWhitelist.SequenceEqual(settings.RpcHostWhitelist))
            throw new InvalidOperationException($"invariant: the settings written back read as {again}, not {settings}");
    }

    /// <summary>A file of this process (the JSON provider reads files differently from streams: it is read as the daemon reads it).</summary>
    private static readonly Lazy<string> ScratchFile = new(() => Path.Combine(ScratchDirectory.Create("settings"), "settings.json"));

    /// <summary>settings.json's bytes as the daemon reads them (no environment variables or options on top).</summary>
    public static DaemonSettings Read(byte[] bytes)
    {
        File.WriteAllBytes(ScratchFile.Value, bytes);
        var builder = new ConfigurationBuilder();
        CliConfiguration.AddSettingsFile(builder, ScratchFile.Value);
        return DaemonSettings.From(CliConfiguration.Build(builder, SettingsPath));
    }
}
