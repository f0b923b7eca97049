using System.CommandLine;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Serilog;
using Serilog.Events;

namespace P2PShare.Cli;

/// <summary>
/// Runs a command body inside the Generic Host with Serilog: structured logs go to a file
/// (and the console with --verbose); errors become one clear line on stderr and an exit code.
/// </summary>
internal static class CliHost
{
    public const int ExitOk = 0;
    public const int ExitFailure = 1;
    public const int ExitBadInput = 2;

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
        var logFile = parse.GetValue(GlobalOptions.LogFile) ?? DefaultLogPath();
        Serilog.Core.Logger? serilog = null;
        try
        {
            // Before the logger too: setting up its rolling file costs ~15 ms of JIT, better spent beside the work.
            var started = start(cancellationToken);
            serilog = CreateLogger(verbose, logFile);
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
            return ExitOk;
        }
        catch (Exception error)
        {
            serilog ??= CreateLogger(verbose, logFile);
            serilog.Error(error, "Command failed");
            var exitCode = ErrorReporter.ExitCodeFor(error);
            Console.Error.WriteLine($"p2pshare: error: {ErrorReporter.OneLine(error)}");
            if (verbose)
                Console.Error.WriteLine(error);
            return exitCode;
        }
        finally
        {
            serilog?.Dispose();
        }
    }

    internal static Serilog.Core.Logger CreateLogger(bool verbose, string logFile)
    {
        var configuration = new LoggerConfiguration()
            .MinimumLevel.Is(verbose ? LogEventLevel.Debug : LogEventLevel.Information)
            .Enrich.FromLogContext();
        try
        {
            Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(logFile))!);
            configuration.WriteTo.File(logFile, fileSizeLimitBytes: 50 * 1024 * 1024, rollOnFileSizeLimit: true, retainedFileCountLimit: 3);
        }
        catch (Exception error) when (error is IOException or UnauthorizedAccessException)
        {
            // A log that cannot be written must not stop the user's download.
        }
        if (verbose)
            configuration.WriteTo.Console(standardErrorFromLevel: LogEventLevel.Verbose);
        return configuration.CreateLogger();
    }

    internal static string DefaultLogPath()
    {
        var state = Environment.GetEnvironmentVariable("XDG_STATE_HOME");
        if (string.IsNullOrEmpty(state))
            state = Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".local", "state");
        return Path.Combine(state, "p2pshare", "logs", "p2pshare.log");
    }
}
