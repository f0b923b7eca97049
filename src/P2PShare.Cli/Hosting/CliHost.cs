using System.CommandLine;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Serilog;

namespace P2PShare.Cli;

/// <summary>
/// Runs a command body inside the Generic Host with Serilog: structured logs go to a file
/// (and the console with --verbose); errors become one clear line on stderr and an exit code.
/// </summary>
internal static class CliHost
{
    public const int ExitOk = ExitCodes.Ok;
    public const int ExitFailure = ExitCodes.Failure;
    public const int ExitBadInput = ExitCodes.BadInput;

    public static Task<int> RunAsync(
        ParseResult parse,
        CancellationToken cancellationToken,
        Func<IServiceProvider, CancellationToken, Task<int>> body,
        Action<IServiceCollection>? configureServices = null) =>
        RunAsync(parse, cancellationToken, _ => true, (services, _, ct) => body(services, ct), configureServices);

    /// <summary>
    /// As above, but <paramref name="start"/> runs before the host is built and its result is handed to
    /// <paramref name="body"/>: a command whose work is CPU-bound starts it there, so it runs on the other cores
    /// while the host starts up. Errors from either part are reported the same way.
    /// </summary>
    public static async Task<int> RunAsync<TStarted>(
        ParseResult parse,
        CancellationToken cancellationToken,
        Func<CancellationToken, TStarted> start,
        Func<IServiceProvider, TStarted, CancellationToken, Task<int>> body,
        Action<IServiceCollection>? configureServices = null)
    {
        var verbose = parse.GetValue(GlobalOptions.Verbose);
        var logFile = parse.GetValue(GlobalOptions.LogFile) is { } given ? LogSettings.Expand(given) : DefaultLogPath();
        Serilog.Core.Logger? serilog = null;
        try
        {
            var logging = LogSettings.From(parse, Configuration.CliConfiguration.Current);
            // Before the logger too: setting up its rolling file costs ~15 ms of JIT, better spent beside the work.
            var started = start(cancellationToken);
            serilog = logging.CreateLogger();
            var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
            builder.Logging.ClearProviders();
            builder.Logging.AddSerilog(serilog, dispose: false);
            builder.Services.AddSingleton(TimeProvider.System);
            configureServices?.Invoke(builder.Services);
            using var host = builder.Build();
            return await body(host.Services, started, cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Stopped (Ctrl+C, SIGTERM) before the command's work was done.
            return ExitCodes.Interrupted;
        }
        catch (Exception error)
        {
            serilog ??= CreateLogger(verbose, logFile);
            serilog.Error(error, "Command failed");
            var exitCode = ErrorReporter.ExitCodeFor(error);
            Console.Error.WriteLine($"p2pshare: error: {ErrorReporter.OneLine(error)}");
            if (verbose)
                Console.Error.WriteLine(string.Join('\n', error.ToString().Split('\n').Select(line => P2PShare.Metainfo.DisplayText.OneLine(line))));
            return exitCode;
        }
        finally
        {
            serilog?.Dispose();
        }
    }

    internal static Serilog.Core.Logger CreateLogger(bool verbose, string logFile) => new LogSettings(verbose, logFile, Json: false).CreateLogger();

    internal static string DefaultLogPath() => LogSettings.DefaultPath();
}
