using System.CommandLine;

namespace P2PShare.Cli.Output;

/// <summary>An option whose value is a size or rate in bytes, written with or without a unit (see <see cref="SizeParser"/>).</summary>
internal static class SizeOption
{
    /// <summary>A bad value is a parse error naming the option ("--max-download-rate '2X': unknown unit 'X' ...").</summary>
    public static Option<long?> Create(string name, string description, params string[] aliases)
    {
        var option = new Option<long?>(name, aliases) { Description = description, HelpName = "SIZE" };
        option.CustomParser = result =>
        {
            var text = result.Tokens.Count > 0 ? result.Tokens[0].Value : "";
            if (SizeParser.TryParse(text, out var bytes, out var problem))
                return bytes;
            result.AddError($"{name} '{text}': {problem}");
            return null;
        };
        return option;
    }
}
