namespace P2PShare.Cli;

/// <summary>Turns an exception into the one line a user sees, and an exit code.</summary>
internal static class ErrorReporter
{
    public static int ExitCodeFor(Exception error) => error switch
    {
        UserErrorException or FormatException or FileNotFoundException or DirectoryNotFoundException => CliHost.ExitBadInput,
        _ => CliHost.ExitFailure,
    };

    public static string OneLine(Exception error)
    {
        var message = error switch
        {
            FileNotFoundException notFound when notFound.FileName is not null => $"file not found: {notFound.FileName}",
            _ => error.Message,
        };
        return P2PShare.Metainfo.DisplayText.OneLine(message.ReplaceLineEndings(" ")).Trim();
    }
}
