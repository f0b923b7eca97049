using System.CommandLine;

namespace P2PShare.Cli.Configuration;

/// <summary>
/// Parses the command line with the configuration under it: parse once to learn the command and --config, load the
/// settings file and environment, add the configured options that were not typed, and parse again. A configured
/// value the option refuses is reported as one line naming the key and the file or variable it came from.
/// </summary>
internal static class ConfiguredParse
{
    /// <summary>Commands whose settings are read elsewhere (the daemon maps its own keys, see DaemonConfiguration).</summary>
    private static readonly string[] OwnConfiguration = ["daemon"];

    public static (ParseResult Parse, LoadedConfiguration Configuration) Parse(RootCommand root, string[] args, IReadOnlyDictionary<string, string?>? environment = null)
    {
        var first = root.Parse(args);
        // --help and --version read no settings: a broken settings file must not hide the help that explains it.
        if (IsInformational(root, first))
            return (first, CliConfiguration.Empty());
        var configuration = CliConfiguration.Load(first.GetValue(GlobalOptions.Config), environment);
        var command = first.CommandResult.Command;
        if (command is RootCommand || OwnConfiguration.Contains(command.Name))
            return (first, configuration);
        var injected = ConfigurationArguments.For(command, first, configuration);
        if (injected.Count == 0)
            return (first, configuration);
        var parse = root.Parse(ConfigurationArguments.Insert(args, injected.SelectMany(i => i.Tokens)));
        if (parse.Errors.Count > 0)
            ThrowForBadSetting(root, args, first, injected);
        return (parse, configuration);
    }

    private static bool IsInformational(RootCommand root, ParseResult parse) =>
        parse.Action is System.CommandLine.Help.HelpAction
        || (parse.Action is not null && root.Options.OfType<VersionOption>().Any(version => ReferenceEquals(version.Action, parse.Action)));

    /// <summary>"... as expected type 'System.Int32'" says "... as a whole number": no .NET type names for users.</summary>
    internal static string Plain(string message)
    {
        var text = message.ReplaceLineEndings(" ").Trim().TrimEnd('.');
        foreach (var (type, words) in TypeWords)
            text = text.Replace($"as expected type '{type}'", words, StringComparison.Ordinal);
        return text;
    }

    private static readonly (string Type, string Words)[] TypeWords =
    [
        ("System.Int32", "as a whole number"), ("System.Int64", "as a whole number"), ("System.Double", "as a number"),
        ("System.Boolean", "as true or false"), ("System.Nullable`1[System.Int32]", "as a whole number"),
        ("System.Nullable`1[System.Double]", "as a number"), ("System.Nullable`1[System.Int64]", "as a whole number"),
    ];

    /// <summary>Finds the setting whose option brings an error the command line alone did not have.</summary>
    private static void ThrowForBadSetting(RootCommand root, string[] args, ParseResult first, List<ConfigurationArguments.Injected> injected)
    {
        var before = first.Errors.Select(e => e.Message).ToHashSet(StringComparer.Ordinal);
        foreach (var setting in injected)
        {
            var alone = root.Parse(ConfigurationArguments.Insert(args, setting.Tokens));
            if (alone.Errors.FirstOrDefault(e => !before.Contains(e.Message)) is { } error)
                throw new UserErrorException($"setting {setting.Key} = '{P2PShare.Metainfo.DisplayText.OneLine(setting.Value)}' ({setting.Source}): {Plain(error.Message)}");
        }
    }
}
