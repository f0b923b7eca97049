namespace P2PShare.Cli;

/// <summary>The process exit codes (docs/cli.md has the table).</summary>
internal static class ExitCodes
{
    /// <summary>Done: the data is complete (or was seeded until stopped, or the command succeeded).</summary>
    public const int Ok = 0;

    /// <summary>The work failed: no peers, storage error, a torrent ended in error.</summary>
    public const int Failure = 1;

    /// <summary>Bad input: command line, option values, a file that is not a torrent, a file that is not there.</summary>
    public const int BadInput = 2;

    /// <summary>Stopped (Ctrl+C, SIGTERM) before the download was complete; run again to resume.</summary>
    public const int Interrupted = 3;
}
