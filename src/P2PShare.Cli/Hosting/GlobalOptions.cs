using System.CommandLine;

namespace P2PShare.Cli;

internal static class GlobalOptions
{
    public static readonly Option<bool> Verbose = new("--verbose", "-v")
    {
        Description = "Log to the console as well, and show stack traces on errors.",
        Recursive = true,
    };

    public static readonly Option<string?> LogFile = new("--log-file")
    {
        Description = "Where to write the log (default: ~/.local/state/p2pshare/logs/p2pshare.log).",
        Recursive = true,
    };
}
