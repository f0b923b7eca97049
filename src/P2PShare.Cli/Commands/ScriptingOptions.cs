using System.CommandLine;

namespace P2PShare.Cli.Commands;

/// <summary>'download' options for scripts: --json and --on-complete.</summary>
internal sealed class ScriptingOptions
{
    public Option<bool> Json { get; } = new("--json")
    {
        Description = "Write one JSON object per line to stdout (state changes, progress every 2 s, completion, errors, exit) instead of the status line.",
    };

    public Option<string?> OnComplete { get; } = new("--on-complete")
    {
        Description = "Shell command to run once when a torrent completes; it gets P2PSHARE_TORRENT_NAME, P2PSHARE_INFO_HASH, P2PSHARE_PATH, P2PSHARE_DOWNLOAD_DIR, P2PSHARE_TOTAL_BYTES.",
        HelpName = "CMD",
    };

    public void AddTo(Command command)
    {
        command.Options.Add(Json);
        command.Options.Add(OnComplete);
    }

    public RunOutput Read(ParseResult parse)
    {
        var onComplete = parse.GetValue(OnComplete);
        if (onComplete is not null && string.IsNullOrWhiteSpace(onComplete))
            throw new UserErrorException("--on-complete: the command is empty");
        return new RunOutput { Json = parse.GetValue(Json), OnComplete = onComplete };
    }
}
