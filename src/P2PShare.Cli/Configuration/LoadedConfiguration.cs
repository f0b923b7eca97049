using Microsoft.Extensions.Configuration;

namespace P2PShare.Cli.Configuration;

/// <summary>
/// The configuration every command reads (settings file, then P2PSHARE__ environment variables), with what each
/// layer is called, so that a bad value can be reported with the key and where it was written.
/// </summary>
internal sealed class LoadedConfiguration(IConfigurationRoot root, string settingsPath, IReadOnlyList<Func<string, string>> layerNames)
{
    public IConfigurationRoot Root { get; } = root;

    /// <summary>The settings file read (or looked for: it need not exist unless given with --config).</summary>
    public string SettingsPath { get; } = settingsPath;

    public string? this[string key] => Root[key];

    /// <summary>Where <paramref name="key"/>'s value comes from: the settings file or the environment variable that sets it.</summary>
    public string SourceOf(string key)
    {
        for (var i = Root.Providers.Count() - 1; i >= 0; i--)
        {
            var provider = Root.Providers.ElementAt(i);
            if (provider.TryGet(key, out _))
                return i < layerNames.Count ? layerNames[i](key) : "configuration";
        }
        return "configuration";
    }
}
