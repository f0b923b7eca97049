using System.CommandLine;
using System.Globalization;
using Microsoft.Extensions.Configuration;
using P2PShare.Cli.Configuration;
using Serilog;
using Serilog.Events;
using Serilog.Formatting;
using Serilog.Formatting.Compact;

namespace P2PShare.Cli;

/// <summary>
/// How a process logs: a file of its own (the pid in its name unless a fixed --log-file is given, and the pid in every
/// line), plain text or compact JSON, the console too with --verbose; anything else from the configuration's
/// "Serilog" section (Serilog.Settings.Configuration: MinimumLevel, Override, extra WriteTo sinks, Enrich).
/// </summary>
internal sealed record LogSettings(bool Verbose, string File, bool Json, IConfiguration? Configuration = null)
{
    public const string PidPlaceholder = "{pid}";
    public const string FileKey = "LogFile";
    public const string FormatKey = "LogFormat";

    /// <summary>Log files the default path leaves behind are deleted after this long.</summary>
    public static readonly TimeSpan KeepOldFiles = TimeSpan.FromDays(14);

    /// <summary>Options first, then the LogFile / LogFormat settings; throws <see cref="UserErrorException"/> for an unknown format.</summary>
    public static LogSettings From(ParseResult parse, LoadedConfiguration configuration)
    {
        var format = parse.GetValue(GlobalOptions.LogFormat);
        var fromOption = format is not null;
        format ??= configuration[FormatKey];
        var json = (format ?? "text").ToLowerInvariant() switch
        {
            "text" => false,
            "json" => true,
            _ => throw new UserErrorException(fromOption
                ? $"--log-format '{format}': must be text or json"
                : $"setting {FormatKey} = '{format}' ({configuration.SourceOf(FormatKey)}): must be text or json"),
        };
        var file = parse.GetValue(GlobalOptions.LogFile) ?? NullIfEmpty(configuration[FileKey]);
        return new LogSettings(parse.GetValue(GlobalOptions.Verbose), file is null ? DefaultPath() : Expand(file), json, configuration.Root);
    }

    /// <summary>~/.local/state/p2pshare/logs/p2pshare-PID.log (XDG_STATE_HOME honoured): one file per process, so two never interleave.</summary>
    public static string DefaultPath()
    {
        var state = Environment.GetEnvironmentVariable("XDG_STATE_HOME");
        if (string.IsNullOrEmpty(state))
            state = Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".local", "state");
        return Path.Combine(state, "p2pshare", "logs", Expand($"p2pshare-{PidPlaceholder}.log"));
    }

    public static string Expand(string path) =>
        path.Replace(PidPlaceholder, Environment.ProcessId.ToString(CultureInfo.InvariantCulture), StringComparison.OrdinalIgnoreCase);

    public Serilog.Core.Logger CreateLogger()
    {
        var configuration = new LoggerConfiguration()
            .MinimumLevel.Is(Verbose ? LogEventLevel.Debug : LogEventLevel.Information)
            .Enrich.FromLogContext()
            .Enrich.WithProperty("ProcessId", Environment.ProcessId);
        try
        {
            var directory = Path.GetDirectoryName(Path.GetFullPath(File))!;
            Directory.CreateDirectory(directory);
            ITextFormatter formatter = Json ? new RenderedCompactJsonFormatter() : new SafeTextFormatter(SafeTextFormatter.FileTemplate);
            configuration.WriteTo.File(formatter, File, fileSizeLimitBytes: 50 * 1024 * 1024, rollOnFileSizeLimit: true, retainedFileCountLimit: 3);
            DeleteOldDefaultFiles(directory);
        }
        catch (Exception error) when (error is IOException or UnauthorizedAccessException)
        {
            // A log that cannot be written must not stop the user's download.
        }
        if (Verbose)
            configuration.WriteTo.Console(new SafeTextFormatter(SafeTextFormatter.ConsoleTemplate), standardErrorFromLevel: LogEventLevel.Verbose);
        // Reading the section costs reflection at start-up: only when there is one.
        if (Configuration?.GetSection("Serilog") is { } section && section.GetChildren().Any())
        {
            try
            {
                // The sink assemblies named here rather than found through the dependency manifest, which a Native
                // AOT build does not have; the project keeps their members for the reader's reflection (TrimmerRootAssembly).
                configuration.ReadFrom.Configuration(Configuration, new Serilog.Settings.Configuration.ConfigurationReaderOptions(
                    typeof(Serilog.FileLoggerConfigurationExtensions).Assembly,
                    typeof(Serilog.ConsoleLoggerConfigurationExtensions).Assembly,
                    typeof(RenderedCompactJsonFormatter).Assembly));
            }
            catch (Exception error) when (error is InvalidOperationException or FormatException or ArgumentException or InvalidCastException)
            {
                throw new UserErrorException($"setting Serilog: {P2PShare.Metainfo.DisplayText.OneLine(error.Message)}");
            }
        }
        return configuration.CreateLogger();
    }

    /// <summary>Per-process files would pile up: the default directory keeps those written in the last <see cref="KeepOldFiles"/>.</summary>
    private void DeleteOldDefaultFiles(string directory)
    {
        if (!string.Equals(Path.GetFullPath(File), DefaultPath(), StringComparison.Ordinal))
            return;
        var cutoff = DateTime.UtcNow - KeepOldFiles;
        foreach (var old in Directory.EnumerateFiles(directory, "p2pshare-*.log"))
        {
            try
            {
                if (System.IO.File.GetLastWriteTimeUtc(old) < cutoff)
                    System.IO.File.Delete(old);
            }
            catch (Exception error) when (error is IOException or UnauthorizedAccessException)
            {
                // Another process's file, or not ours to delete: leave it.
            }
        }
    }

    private static string? NullIfEmpty(string? text) => string.IsNullOrEmpty(text) ? null : text;
}
