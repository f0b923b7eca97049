using System.CommandLine;
using System.Globalization;
using Microsoft.Extensions.Configuration;

namespace P2PShare.Cli.Configuration;

/// <summary>
/// Turns configuration into command-line options, so that a setting is parsed and checked exactly as the option
/// is (units, ranges, enums) and an option typed on the command line wins. The key of '--max-download-rate' is
/// MaxDownloadRate; a section named after the command ("download": { ... }) comes before the top-level keys,
/// which only the torrent commands (download, seed, stream) read.
/// </summary>
internal static class ConfigurationArguments
{
    /// <summary>Commands that read top-level keys; every other command reads only its own section.</summary>
    public static readonly string[] TopLevelCommands = ["download", "seed", "stream"];

    /// <summary>Options that are not settings.</summary>
    private static readonly string[] NotSettings = ["--help", "--version", "--config"];

    /// <summary>One setting that became an option: the tokens to parse, and where it came from for errors.</summary>
    public sealed record Injected(string Key, string Value, string Source, IReadOnlyList<string> Tokens);

    /// <summary>The configured options of <paramref name="command"/> that <paramref name="parse"/> did not get on the command line.</summary>
    public static List<Injected> For(Command command, ParseResult parse, LoadedConfiguration configuration)
    {
        var injected = new List<Injected>();
        foreach (var option in command.Options)
        {
            if (option.Hidden || NotSettings.Contains(option.Name) || parse.GetResult(option) is { Implicit: false })
                continue;
            var key = KeyOf(option.Name);
            var section = configuration.Root.GetSection(command.Name).GetSection(key);
            if (!Exists(section) && TopLevelCommands.Contains(command.Name))
                section = configuration.Root.GetSection(key);
            if (!Exists(section))
                continue;
            var values = section.Value is { } single ? [single] : section.GetChildren().OrderBy(c => int.TryParse(c.Key, CultureInfo.InvariantCulture, out var i) ? i : int.MaxValue).Select(c => c.Value ?? "").ToList();
            var tokens = new List<string>();
            foreach (var value in values)
                tokens.AddRange([option.Name, value]);
            if (tokens.Count > 0)
                injected.Add(new Injected(section.Path, string.Join(",", values), configuration.SourceOf(section.Path), tokens));
        }
        return injected;
    }

    /// <summary>'--max-download-rate' → 'MaxDownloadRate'.</summary>
    public static string KeyOf(string optionName) =>
        string.Concat(optionName.TrimStart('-').Split('-', StringSplitOptions.RemoveEmptyEntries).Select(word => char.ToUpperInvariant(word[0]) + word[1..]));

    /// <summary>The arguments with <paramref name="tokens"/> added at the end (before a '--', if there is one).</summary>
    public static string[] Insert(string[] args, IEnumerable<string> tokens)
    {
        var end = Array.IndexOf(args, "--");
        return end < 0 ? [.. args, .. tokens] : [.. args[..end], .. tokens, .. args[end..]];
    }

    private static bool Exists(IConfigurationSection section) => section.Value is not null || section.GetChildren().Any();
}
