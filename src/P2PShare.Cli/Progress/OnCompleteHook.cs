using System.Diagnostics;
using Microsoft.Extensions.Logging;
using P2PShare.Engine;
using P2PShare.Hosting;

namespace P2PShare.Cli.Progress;

/// <summary>
/// '--on-complete CMD': runs CMD through the shell once when a torrent's download completes, as Transmission's
/// script-torrent-done and aria2's --on-bt-download-complete do. The torrent is described in environment variables
/// (P2PSHARE_TORRENT_NAME, P2PSHARE_INFO_HASH, P2PSHARE_PATH, P2PSHARE_DOWNLOAD_DIR, P2PSHARE_TOTAL_BYTES). The
/// command runs beside the transfer, its output goes to stderr; the process waits for it (a bounded time) before it exits.
/// </summary>
internal sealed class OnCompleteHook(string command, string downloadDirectory, ILogger logger) : IRunObserver
{
    public static readonly TimeSpan ExitWait = TimeSpan.FromSeconds(60);
    private readonly object _gate = new();
    private Task _running = Task.CompletedTask;
    private bool _ran;

    /// <summary>Completes when the command has finished (or at once when it never started).</summary>
    public Task Running
    {
        get { lock (_gate) return _running; }
    }

    public void Message(string text)
    {
    }

    public void Checking(string reason, double fraction)
    {
    }

    public void Progress(RunPhase phase, TorrentProgress progress, int listenPort)
    {
    }

    public void Peers(IReadOnlyList<PeerInfo> peers)
    {
    }

    public void DownloadCompleted(DownloadCompletion completion)
    {
        lock (_gate)
        {
            if (_ran)
                return;
            _ran = true;
            _running = RunAsync(completion);
        }
    }

    internal static Dictionary<string, string> Environment(DownloadCompletion completion, string downloadDirectory) => new()
    {
        ["P2PSHARE_TORRENT_NAME"] = completion.Name,
        ["P2PSHARE_INFO_HASH"] = completion.InfoHash.ToString(),
        ["P2PSHARE_PATH"] = completion.ContentPath,
        ["P2PSHARE_DOWNLOAD_DIR"] = downloadDirectory,
        ["P2PSHARE_TOTAL_BYTES"] = completion.TotalLength.ToString(System.Globalization.CultureInfo.InvariantCulture),
    };

    private async Task RunAsync(DownloadCompletion completion)
    {
        var start = new ProcessStartInfo
        {
            FileName = OperatingSystem.IsWindows() ? "cmd.exe" : "/bin/sh",
            UseShellExecute = false,
            RedirectStandardInput = true,
            // Its output goes to our stderr: stdout stays the status line or the --json stream.
            RedirectStandardOutput = true,
            WorkingDirectory = downloadDirectory,
        };
        start.ArgumentList.Add(OperatingSystem.IsWindows() ? "/c" : "-c");
        start.ArgumentList.Add(command);
        foreach (var (key, value) in Environment(completion, downloadDirectory))
            start.Environment[key] = value;
        try
        {
            // Off the run's thread: the download's supervisor must not wait for the process to start.
            await Task.Yield();
            using var process = Process.Start(start) ?? throw new InvalidOperationException("the shell did not start");
            process.StandardInput.Close();
            var forward = ForwardAsync(process.StandardOutput);
            logger.LogInformation("--on-complete started (pid {Pid}) for {Name}", process.Id, completion.Name);
            await process.WaitForExitAsync().ConfigureAwait(false);
            await forward.ConfigureAwait(false);
            if (process.ExitCode != 0)
                logger.LogWarning("--on-complete command exited with {ExitCode} for {Name}", process.ExitCode, completion.Name);
        }
        catch (Exception error)
        {
            logger.LogWarning("--on-complete command could not run for {Name}: {Reason}", completion.Name, error.Message);
            Console.Error.WriteLine($"p2pshare: warning: --on-complete could not run: {error.Message}");
        }
    }

    private static async Task ForwardAsync(StreamReader output)
    {
        while (await output.ReadLineAsync().ConfigureAwait(false) is { } line)
            await Console.Error.WriteLineAsync(line).ConfigureAwait(false);
    }
}
