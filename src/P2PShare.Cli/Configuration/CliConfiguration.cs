using System.Collections;
using Microsoft.Extensions.Configuration;

namespace P2PShare.Cli.Configuration;

/// <summary>
/// Loads the configuration the .NET way, one implementation for every command and the daemon: the settings file
/// (~/.config/p2pshare/settings.json, honouring XDG_CONFIG_HOME, or --config FILE), then environment variables
/// P2PSHARE__KEY (P2PSHARE__SECTION__KEY for a section); the command line goes on top of both.
/// </summary>
internal static class CliConfiguration
{
    public const string EnvironmentPrefix = "P2PSHARE__";

    private static readonly AsyncLocal<LoadedConfiguration?> Ambient = new();

    /// <summary>The configuration of the command being run (set before its action runs; empty when none was loaded).</summary>
    public static LoadedConfiguration Current
    {
        get => Ambient.Value ??= Load(null, new Dictionary<string, string?>());
        set => Ambient.Value = value;
    }

    /// <summary>~/.config/p2pshare (or $XDG_CONFIG_HOME/p2pshare): settings.json, and daemon/ for the daemon.</summary>
    public static string ConfigDirectory()
    {
        var config = Environment.GetEnvironmentVariable("XDG_CONFIG_HOME");
        if (string.IsNullOrEmpty(config))
            config = Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".config");
        return Path.Combine(config, "p2pshare");
    }

    public static string DefaultSettingsPath() => Path.Combine(ConfigDirectory(), "settings.json");

    /// <summary>
    /// Reads <paramref name="explicitPath"/> (must exist) or the default settings file (optional), then the
    /// P2PSHARE__ variables of <paramref name="environment"/> (default: this process's environment).
    /// Throws <see cref="UserErrorException"/> naming the file for a file that is not valid JSON.
    /// </summary>
    public static LoadedConfiguration Load(string? explicitPath, IReadOnlyDictionary<string, string?>? environment = null)
    {
        var path = Path.GetFullPath(explicitPath ?? DefaultSettingsPath());
        if (explicitPath is not null && !File.Exists(path))
            throw new UserErrorException($"settings file not found: {explicitPath}");
        var builder = new ConfigurationBuilder();
        AddSettingsFile(builder, path);
        var variables = environment ?? ProcessEnvironment();
        builder.AddInMemoryCollection(EnvironmentSettings(variables));
        return new LoadedConfiguration(Build(builder, path), path, [_ => path, key => $"environment variable {VariableOf(variables, key)}"]);
    }

    /// <summary>No settings at all (for --help and --version, which must work whatever the settings file holds).</summary>
    public static LoadedConfiguration Empty()
    {
        var path = DefaultSettingsPath();
        return new LoadedConfiguration(new ConfigurationBuilder().Build(), path, [_ => path]);
    }

    /// <summary>Adds a JSON settings file (optional: a missing one adds nothing).</summary>
    public static void AddSettingsFile(IConfigurationBuilder builder, string path) =>
        builder.AddJsonFile(path, optional: true, reloadOnChange: false);

    /// <summary>Builds, turning a settings file that is not JSON into one line naming the file.</summary>
    public static IConfigurationRoot Build(IConfigurationBuilder builder, string path)
    {
        try
        {
            return builder.Build();
        }
        catch (Exception error) when (error is FormatException or InvalidDataException or System.Text.Json.JsonException)
        {
            var innermost = error;
            while (innermost.InnerException is not null)
                innermost = innermost.InnerException;
            var message = innermost.Message;
            throw new UserErrorException($"{path}: not valid settings JSON: {P2PShare.Metainfo.DisplayText.OneLine(message)}");
        }
    }

    /// <summary>P2PSHARE__A__B=v becomes key A:B = v (as AddEnvironmentVariables(prefix) does).</summary>
    public static IEnumerable<KeyValuePair<string, string?>> EnvironmentSettings(IReadOnlyDictionary<string, string?> environment) =>
        environment
            .Where(pair => pair.Key.StartsWith(EnvironmentPrefix, StringComparison.OrdinalIgnoreCase) && pair.Key.Length > EnvironmentPrefix.Length)
            .Select(pair => new KeyValuePair<string, string?>(pair.Key[EnvironmentPrefix.Length..].Replace("__", ConfigurationPath.KeyDelimiter, StringComparison.Ordinal), pair.Value));

    /// <summary>The variable, as it was spelt, that sets <paramref name="key"/>.</summary>
    private static string VariableOf(IReadOnlyDictionary<string, string?> environment, string key)
    {
        var wanted = EnvironmentPrefix + key.Replace(ConfigurationPath.KeyDelimiter, "__", StringComparison.Ordinal);
        return environment.Keys.FirstOrDefault(name => string.Equals(name, wanted, StringComparison.OrdinalIgnoreCase)) ?? wanted;
    }

    private static Dictionary<string, string?> ProcessEnvironment()
    {
        var values = new Dictionary<string, string?>(StringComparer.Ordinal);
        foreach (DictionaryEntry entry in Environment.GetEnvironmentVariables())
            values[(string)entry.Key] = entry.Value as string;
        return values;
    }
}
