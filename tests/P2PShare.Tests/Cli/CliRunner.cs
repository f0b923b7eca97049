using P2PShare.Cli;

namespace P2PShare.Tests.Cli;

/// <summary>Runs the CLI in-process with stdout and stderr captured. Console is global, so callers must not run in parallel.</summary>
internal static class CliRunner
{
    private static readonly SemaphoreSlim ConsoleGate = new(1, 1);

    public sealed record Result(int ExitCode, string Stdout, string Stderr);

    public static async Task<Result> RunAsync(string logDirectory, params string[] args)
    {
        await ConsoleGate.WaitAsync();
        var originalOut = Console.Out;
        var originalError = Console.Error;
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        try
        {
            Console.SetOut(stdout);
            Console.SetError(stderr);
            var exitCode = await CliApplication.RunAsync([.. args, "--log-file", Path.Combine(logDirectory, "cli.log")]);
            return new Result(exitCode, stdout.ToString(), stderr.ToString());
        }
        finally
        {
            Console.SetOut(originalOut);
            Console.SetError(originalError);
            ConsoleGate.Release();
        }
    }
}
