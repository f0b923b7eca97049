using System.CommandLine;
using P2PShare.Cli.Commands;
using P2PShare.Cli.Configuration;

namespace P2PShare.Cli;

/// <summary>Builds the command tree and runs it. Each command lives in its own file under Commands/.</summary>
internal static class CliApplication
{
    public static async Task<int> RunAsync(string[] args)
    {
        var root = BuildRoot();
        ParseResult parse;
        try
        {
            (parse, CliConfiguration.Current) = ConfiguredParse.Parse(root, RewriteDefaultCommand(args, root));
        }
        catch (UserErrorException error)
        {
            Console.Error.WriteLine($"p2pshare: error: {error.Message}");
            return ExitCodes.BadInput;
        }
        if (parse.Action is System.CommandLine.Invocation.ParseErrorAction)
            return ParseErrors.Report(parse, Console.Error);
        var invocation = new InvocationConfiguration { ProcessTerminationTimeout = TimeSpan.FromSeconds(15) };
        using var hangup = HangupAsTerminate.Register();
        var code = await parse.InvokeAsync(invocation).ConfigureAwait(false);
        RuntimeStats.ReportIfAsked(Console.Error);
        return code;
    }

    public static RootCommand BuildRoot()
    {
        var root = new RootCommand("P2PShare: a BitTorrent client. 'p2pshare FILE.torrent' downloads it.");
        root.Options.Add(GlobalOptions.Verbose);
        root.Options.Add(GlobalOptions.LogFile);
        root.Options.Add(GlobalOptions.LogFormat);
        root.Options.Add(GlobalOptions.Config);
        foreach (var command in CommandCatalog.All())
            root.Subcommands.Add(command);
        return root;
    }

    /// <summary>'p2pshare x.torrent' is short for 'p2pshare download x.torrent', as in other clients.</summary>
    internal static string[] RewriteDefaultCommand(string[] args, RootCommand root)
    {
        var first = args.FirstOrDefault(a => !a.StartsWith('-'));
        if (first is null || root.Subcommands.Any(c => c.Name == first || c.Aliases.Contains(first)))
            return args;
        var looksLikeTorrent = first.EndsWith(".torrent", StringComparison.OrdinalIgnoreCase)
            || first.StartsWith("magnet:", StringComparison.OrdinalIgnoreCase)
            || File.Exists(first);
        return looksLikeTorrent && root.Subcommands.Any(c => c.Name == "download") ? ["download", .. args] : args;
    }
}
