using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace P2PShare.Tests.Support;

/// <summary>What our 'p2pshare create' reported about a torrent it made.</summary>
public sealed record P2PShareTorrent(string TorrentPath, string InfoHash);

/// <summary>
/// Our own client as a separate program (<see cref="CliCommand"/>: the Native AOT build, or the test build's dll run with 'dotnet'), as an
/// <see cref="ExternalProcess"/> killed by PID on dispose. Every run listens on 127.0.0.1 only
/// (--bind 127.0.0.1, --port 0 unless the caller gives one) and logs (--log-file) into the
/// test's directory, so failures can show the client's own log.
/// </summary>
public sealed partial class P2PShareClient : IAsyncDisposable
{
    private static readonly Lazy<string> LocatedDll = new(LocateDll);
    private static int _runCounter;

    private P2PShareClient(ExternalProcess process, string logFile)
    {
        Process = process;
        LogFile = logFile;
    }

    public ExternalProcess Process { get; }

    /// <summary>The --log-file this run writes (Serilog may roll it to LogFile_001... on size).</summary>
    public string LogFile { get; }

    public int Pid => Process.Pid;

    public bool HasExited => Process.HasExited;

    /// <summary>
    /// src/P2PShare.Cli/bin/&lt;Configuration&gt;/net10.0/p2pshare.dll, with the Configuration the tests
    /// were built with; falls back to the copy next to the test assembly (the test project references the CLI).
    /// </summary>
    public static string DllPath => LocatedDll.Value;

    /// <summary>
    /// The p2pshare under test: the executable P2PSHARE_CLI names (scripts/test sets it to the Native AOT build that
    /// scripts/build makes, what users run), else <see cref="DllPath"/>. Scripts taking --dll accept either.
    /// </summary>
    public static string CliPath => Environment.GetEnvironmentVariable(CliVariable) is { Length: > 0 } cli ? cli : DllPath;

    public const string CliVariable = "P2PSHARE_CLI";

    /// <summary>The program and leading arguments that run <see cref="CliPath"/>: itself, or 'dotnet' and the dll.</summary>
    public static IReadOnlyList<string> CliCommand =>
        CliPath.EndsWith(".dll", StringComparison.OrdinalIgnoreCase) ? [DotnetHost(), CliPath] : [CliPath];

    /// <summary>Starts 'p2pshare ARGS --log-file LOG' (global options are added here; do not pass --log-file).</summary>
    /// <param name="environment">Extra variables (null value: removed): P2PSHARE__ settings, or P2PSHARE_LOCAL_ONLY=null inside a test's own network namespace.</param>
    /// <param name="defaultLogFile">Pass no --log-file: the run logs where the program puts its log by default
    /// (WORK/xdg-state/p2pshare/logs/p2pshare-PID.log), and <see cref="LogFile"/> is that file.</param>
    /// <param name="launcher">Program and arguments put before the p2pshare command (e.g. ip netns exec NS).</param>
    public static P2PShareClient Start(string workDirectory, string name, IEnumerable<string> arguments,
        IReadOnlyDictionary<string, string?>? environment = null, bool defaultLogFile = false, IReadOnlyList<string>? launcher = null)
    {
        var run = Interlocked.Increment(ref _runCounter);
        var logFile = Path.Combine(workDirectory, $"p2pshare-{name}-{run.ToString(CultureInfo.InvariantCulture)}.log");
        var args = new List<string>(arguments);
        // Tests stay on loopback: the DHT would bootstrap from the public routers unless a test names its own nodes.
        if (args.Count > 0 && args[0] is "download" or "seed" or "stream" && !args.Contains("--dht-bootstrap") && !args.Contains("--no-dht"))
            args.Add("--no-dht");
        if (!defaultLogFile)
        {
            args.AddRange(["--log-file", logFile]);
        }
        var variables = new Dictionary<string, string?>
        {
            ["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1",
            ["DOTNET_NOLOGO"] = "1",
            // The default log path must never be used by a test run.
            ["XDG_STATE_HOME"] = Path.Combine(workDirectory, "xdg-state"),
            // Nor the user's settings (~/.config/p2pshare/settings.json): a test writes WORK/xdg-config/p2pshare/settings.json.
            ["XDG_CONFIG_HOME"] = Path.Combine(workDirectory, "xdg-config"),
            // Nothing beyond this machine: no port mapping, no LSD multicast, no DHT routers (docs/port-mapping.md).
            [LocalOnlyEnvironment.Variable] = "1",
        };
        foreach (var (key, value) in environment ?? new Dictionary<string, string?>())
        {
            variables[key] = value;
        }
        var command = launcher is { Count: > 0 } ? [.. launcher, .. CliCommand] : CliCommand;
        var program = command[0];
        args.InsertRange(0, command.Skip(1));
        var process = ExternalProcess.Start(program, args, variables, workDirectory, name: $"p2pshare {name}");
        if (defaultLogFile)
        {
            // Both the native executable and 'dotnet p2pshare.dll' (the program in the host process) have the program's pid.
            logFile = Path.Combine(workDirectory, "xdg-state", "p2pshare", "logs", $"p2pshare-{process.Pid.ToString(CultureInfo.InvariantCulture)}.log");
        }
        return new P2PShareClient(process, logFile);
    }

    /// <summary>
    /// Runs 'p2pshare create SOURCE -o OUTPUT [--tracker URL]... [--piece-size KiB] --no-date' and returns the
    /// torrent path and its info-hash (parsed from the output). Fails the test when create fails.
    /// </summary>
    public static async Task<P2PShareTorrent> CreateTorrentAsync(string source, string output, IEnumerable<string>? trackers = null,
        int? pieceSizeKiB = null, string? workDirectory = null, CancellationToken cancellationToken = default, IEnumerable<string>? webSeeds = null,
        string? format = null)
    {
        var args = new List<string> { "create", source, "-o", output, "--no-date" };
        if (format is "v2" or "hybrid")
        {
            args.Add("--" + format);
        }
        foreach (var webSeed in webSeeds ?? [])
        {
            args.AddRange(["--web-seed", webSeed]);
        }
        foreach (var tracker in trackers ?? [])
        {
            args.AddRange(["--tracker", tracker]);
        }
        if (pieceSizeKiB is { } kib)
        {
            args.AddRange(["--piece-size", kib.ToString(CultureInfo.InvariantCulture)]);
        }
        var directory = workDirectory ?? Path.GetDirectoryName(Path.GetFullPath(output))!;
        await using var client = Start(directory, "create", args);
        var exit = await client.WaitForExitAsync(TimeSpan.FromSeconds(60), cancellationToken).ConfigureAwait(false);
        var match = InfoHashPattern().Match(client.Process.StdoutTail);
        if (exit != 0 || !match.Success || !File.Exists(output))
        {
            Assert.Fail($"p2pshare create failed (exit {exit}).{Environment.NewLine}{client.Describe()}");
        }
        return new P2PShareTorrent(Path.GetFullPath(output), match.Groups[1].Value);
    }

    /// <summary>
    /// Starts 'p2pshare download TORRENT -o DIR --bind 127.0.0.1 [--port 0] EXTRA...'. The content lands in
    /// DIR/&lt;torrent name&gt;. Log files go to <paramref name="workDirectory"/>.
    /// </summary>
    public static P2PShareClient StartDownload(string workDirectory, string torrentPath, string outputDirectory, params string[] extraArguments)
    {
        var args = new List<string> { "download", torrentPath, "-o", outputDirectory };
        AddNetworkDefaults(args, extraArguments);
        return Start(workDirectory, "download", args);
    }

    /// <summary>'p2pshare download' as <see cref="StartDownload"/>, with more environment variables for the process.</summary>
    public static P2PShareClient StartDownloadWithEnvironment(string workDirectory, string torrentPath, string outputDirectory,
        IReadOnlyDictionary<string, string?> extraEnvironment, params string[] extraArguments)
    {
        var args = new List<string> { "download", torrentPath, "-o", outputDirectory };
        AddNetworkDefaults(args, extraArguments);
        return Start(workDirectory, "download", args, extraEnvironment);
    }

    /// <summary>Starts 'p2pshare seed TORRENT --data DIR --bind 127.0.0.1 [--port 0] EXTRA...'.</summary>
    public static P2PShareClient StartSeed(string workDirectory, string torrentPath, string dataDirectory, params string[] extraArguments)
    {
        var args = new List<string> { "seed", torrentPath, "--data", dataDirectory };
        AddNetworkDefaults(args, extraArguments);
        return Start(workDirectory, "seed", args);
    }

    /// <summary>
    /// Waits until the run logs the port it listens on, and returns that port (the real one: with --port 0,
    /// or when the asked port was taken). Fails the test on timeout or when the process exits first.
    /// </summary>
    public async Task<int> WaitUntilListeningAsync(TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        var port = 0;
        await Eventually.UntilAsync(() =>
        {
            var match = ListeningPattern().Match(ReadLog());
            if (match.Success)
            {
                port = int.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture);
                return true;
            }
            if (HasExited)
            {
                Assert.Fail($"p2pshare exited with {Process.ExitCode} before listening.{Environment.NewLine}{Describe()}");
            }
            return false;
        }, timeout, $"p2pshare (pid {Pid}) to log its listen port", Describe, cancellationToken: cancellationToken).ConfigureAwait(false);
        return port;
    }

    /// <summary>Waits for exit and returns the exit code; throws <see cref="TimeoutException"/> with the output and log tail.</summary>
    public async Task<int> WaitForExitAsync(TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        try
        {
            return await Process.WaitForExitAsync(timeout, cancellationToken).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            throw new TimeoutException($"p2pshare (pid {Pid}) did not exit within {timeout.TotalSeconds:0.#} s.{Environment.NewLine}{Describe()}");
        }
    }

    /// <summary>Waits for exit; fails the test (with output and log tail) on timeout or a non-zero exit code.</summary>
    public async Task WaitForSuccessAsync(TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        int exit;
        try
        {
            exit = await WaitForExitAsync(timeout, cancellationToken).ConfigureAwait(false);
        }
        catch (TimeoutException error)
        {
            Assert.Fail(error.Message);
            return;
        }
        if (exit != 0)
        {
            Assert.Fail($"p2pshare (pid {Pid}) exited with {exit}.{Environment.NewLine}{Describe()}");
        }
    }

    /// <summary>SIGTERM (the client stops cleanly on it), then a hard kill after <paramref name="grace"/>.</summary>
    public Task<int> StopAsync(TimeSpan grace, CancellationToken cancellationToken = default) => Process.StopAsync(grace, cancellationToken);

    /// <summary>The whole log written so far (all rolled files), or "" when there is none yet.</summary>
    public string ReadLog()
    {
        var directory = Path.GetDirectoryName(LogFile)!;
        var stem = Path.GetFileNameWithoutExtension(LogFile);
        if (!Directory.Exists(directory))
        {
            return "";
        }
        var builder = new StringBuilder();
        foreach (var file in Directory.EnumerateFiles(directory, stem + "*.log").Order(StringComparer.Ordinal))
        {
            try
            {
                using var stream = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
                using var reader = new StreamReader(stream, Encoding.UTF8);
                builder.Append(reader.ReadToEnd());
            }
            catch (IOException)
            {
                // Being rolled over right now: the next poll reads it.
            }
        }
        return builder.ToString();
    }

    /// <summary>The last <paramref name="lines"/> lines of the log.</summary>
    public string LogTail(int lines = 60)
    {
        var all = ReadLog().Split('\n');
        return string.Join('\n', all.Skip(Math.Max(0, all.Length - lines)));
    }

    /// <summary>Output tail and log tail: for failure messages.</summary>
    public string Describe() =>
        $"{Process.Describe()}{Environment.NewLine}--- p2pshare log tail ({LogFile}) ---{Environment.NewLine}{LogTail()}";

    public ValueTask DisposeAsync() => Process.DisposeAsync();

    private static void AddNetworkDefaults(List<string> args, string[] extraArguments)
    {
        if (!extraArguments.Contains("--bind"))
        {
            args.AddRange(["--bind", "127.0.0.1"]);
        }
        if (!extraArguments.Contains("--port"))
        {
            args.AddRange(["--port", "0"]);
        }
        args.AddRange(extraArguments);
    }

    private static string DotnetHost()
    {
        // Set by the dotnet CLI for the processes it starts (dotnet test): the same runtime the tests use.
        var host = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH");
        if (!string.IsNullOrEmpty(host) && File.Exists(host))
        {
            return host;
        }
        return RequiredTool.Find("dotnet") ?? throw new InvalidOperationException("'dotnet' not found on PATH (DOTNET_HOST_PATH unset)");
    }

    private static string LocateDll()
    {
        var testDirectory = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar));
        var targetFramework = testDirectory.Name;
        var configuration = testDirectory.Parent?.Name ?? "Debug";
        var built = Path.Combine(SwarmScripts.RepositoryRoot, "src", "P2PShare.Cli", "bin", configuration, targetFramework, "p2pshare.dll");
        if (File.Exists(built))
        {
            return built;
        }
        var copied = Path.Combine(AppContext.BaseDirectory, "p2pshare.dll");
        if (File.Exists(copied))
        {
            return copied;
        }
        throw new FileNotFoundException($"p2pshare.dll not found at {built} nor {copied}: build the solution ({configuration})", built);
    }

    [GeneratedRegex(@"info-hash ([0-9a-f]{40})")]
    private static partial Regex InfoHashPattern();

    [GeneratedRegex(@"listening on port (\d+)")]
    private static partial Regex ListeningPattern();
}
