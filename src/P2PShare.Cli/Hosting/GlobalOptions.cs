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
        Description = "Where to write the log; {pid} in the name becomes the process id (default: ~/.local/state/p2pshare/logs/p2pshare-{pid}.log, one file per process). Setting: LogFile.",
        Recursive = true,
    };

    public static readonly Option<string?> LogFormat = new("--log-format")
    {
        Description = "Log file format: text (default) or json (compact JSON, one event per line). Setting: LogFormat.",
        Recursive = true,
        HelpName = "text|json",
    };

    public static readonly Option<string?> Config = new("--config")
    {
        Description = "Settings file to read instead of ~/.config/p2pshare/settings.json (P2PSHARE__KEY environment variables and options override it).",
        Recursive = true,
        HelpName = "FILE",
    };
}
