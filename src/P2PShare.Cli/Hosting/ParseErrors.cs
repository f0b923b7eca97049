using System.CommandLine;

namespace P2PShare.Cli;

/// <summary>
/// Command-line mistakes get the same one-line error as every other bad input, and exit code 2, instead of
/// System.CommandLine's default (all the errors, then the whole help, exit 1).
/// </summary>
internal static class ParseErrors
{
    public static int Report(ParseResult parse, TextWriter error)
    {
        // A word that matched nothing says most ("Unrecognized command or argument 'x'"), before what is then missing.
        var best = parse.Errors.FirstOrDefault(e => parse.UnmatchedTokens.Any(t => e.Message.Contains(t, StringComparison.Ordinal))) ?? parse.Errors.FirstOrDefault();
        var first = (best?.Message ?? "invalid command line").TrimEnd('.');
        var more = parse.Errors.Count > 1 ? $" (and {parse.Errors.Count - 1} more)" : "";
        var command = string.Join(' ', CommandPath(parse.CommandResult.Command));
        error.WriteLine($"p2pshare: error: {first.ReplaceLineEndings(" ").Trim()}{more}; see '{command} --help'");
        return ExitCodes.BadInput;
    }

    private static IEnumerable<string> CommandPath(Command command)
    {
        var names = new List<string>();
        for (Command? c = command; c is not null; c = c.Parents.OfType<Command>().FirstOrDefault())
            names.Insert(0, c is RootCommand ? "p2pshare" : c.Name);
        return names;
    }
}
