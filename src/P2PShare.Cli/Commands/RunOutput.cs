using Microsoft.Extensions.Logging;
using P2PShare.Cli.Progress;
using P2PShare.Engine;
using P2PShare.Hosting;

namespace P2PShare.Cli.Commands;

/// <summary>
/// How a download or seed run reports (the status display or a --json stream, the --on-complete hook, the completion
/// summary) and what exit code it ends with: 0 when every torrent is complete (or was being seeded when stopped),
/// 3 when stopped before a download was complete, 1 when one failed.
/// </summary>
internal sealed class RunOutput
{
    private readonly List<Tracked> _tracked = [];
    private (int Code, string Reason)? _exit;

    /// <summary>--json: JSON lines on stdout instead of the status line.</summary>
    public bool Json { get; init; }

    /// <summary>--on-complete: a shell command run once per torrent that completes.</summary>
    public string? OnComplete { get; init; }

    /// <summary>'seed': stopping is the normal end, so it is never "interrupted before complete".</summary>
    public bool SeedOnly { get; init; }

    public TextWriter Output { get; init; } = Console.Out;

    /// <summary>The observer for one torrent: <paramref name="display"/> (unless --json) plus the summary, JSON and hook.</summary>
    public IRunObserver For(TorrentRunOptions torrent, IRunObserver? display, TimeProvider time, ILogger logger)
    {
        var label = torrent.Magnet?.DisplayName ?? Path.GetFileName(torrent.TorrentPath);
        var tracked = new Tracked(Json ? new JsonProgress(Output, time, label) : null,
            OnComplete is { } command ? new OnCompleteHook(command, torrent.DataDirectory, logger) : null);
        lock (_tracked)
            _tracked.Add(tracked);
        var observers = new List<IRunObserver> { tracked };
        if (tracked.Json is { } json)
            observers.Add(json);
        else if (display is not null)
            observers.Add(new SummaryPrinter(display));
        if (tracked.Hook is { } hook)
            observers.Add(hook);
        return new TeeObserver([.. observers]);
    }

    /// <summary>Reports a run's failure (the JSON "error" event; the console gets the usual one-line error).</summary>
    public void Failed(int index, string message)
    {
        if (At(index)?.Json is { } json)
            json.Error(message);
    }

    /// <summary>The exit code for the end of the run, after waiting (bounded) for --on-complete commands still running.</summary>
    public async Task<int> FinishAsync(IReadOnlyList<ManagedTorrent> torrents, bool cancelled, TimeProvider time)
    {
        List<Tracked> all;
        lock (_tracked)
            all = [.. _tracked];
        var hooks = all.Select(t => t.Hook?.Running ?? Task.CompletedTask).ToList();
        await Task.WhenAll(hooks).WaitAsync(OnCompleteHook.ExitWait, time).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        var failed = torrents.Any(t => t.State == TorrentState.Error);
        var incomplete = torrents.Select((t, i) => !IsComplete(t, i < all.Count ? all[i] : null)).Any(x => x);
        var (code, reason) = failed && !cancelled ? (ExitCodes.Failure, "failed")
            : cancelled && incomplete && !SeedOnly ? (ExitCodes.Interrupted, "interrupted before complete")
            : (ExitCodes.Ok, cancelled ? "stopped" : "complete");
        _exit = (code, reason);
        return code;
    }

    /// <summary>The run ended with <paramref name="error"/>: the exit line carries the code the process exits with.</summary>
    public void Failed(Exception error) => _exit = (ErrorReporter.ExitCodeFor(error), "failed: " + ErrorReporter.OneLine(error));

    /// <summary>--json: the last line, with the exit code; written once the torrents have stopped (after their "stopping" lines).</summary>
    public void WriteExit(TimeProvider time)
    {
        if (Json && _exit is var (code, reason))
            JsonProgress.Exit(Output, time, code, reason);
        _exit = null;
    }

    private static bool IsComplete(ManagedTorrent torrent, Tracked? tracked) =>
        tracked?.SawComplete == true || torrent.Runner?.State is TorrentState.Seeding || torrent.Runner?.Progress() is { IsComplete: true };

    private Tracked? At(int index)
    {
        lock (_tracked)
            return index < _tracked.Count ? _tracked[index] : null;
    }

    /// <summary>Remembers whether the data was complete at any point of the run.</summary>
    private sealed class Tracked(JsonProgress? json, OnCompleteHook? hook) : IRunObserver
    {
        public JsonProgress? Json => json;

        public OnCompleteHook? Hook => hook;

        public volatile bool SawComplete;

        public void Message(string text)
        {
        }

        public void Checking(string reason, double fraction)
        {
        }

        public void Progress(RunPhase phase, TorrentProgress progress, int listenPort)
        {
            if (progress.IsComplete)
                SawComplete = true;
        }

        public void Peers(IReadOnlyList<PeerInfo> peers)
        {
        }

        public void DownloadCompleted(DownloadCompletion completion) => SawComplete = true;
    }

    /// <summary>The human display, plus the completion summary as a message.</summary>
    private sealed class SummaryPrinter(IRunObserver display) : IRunObserver
    {
        public void Message(string text) => display.Message(text);

        public void Checking(string reason, double fraction) => display.Checking(reason, fraction);

        public void FetchingMetadata(MetadataFetchProgress progress) => display.FetchingMetadata(progress);

        public void Progress(RunPhase phase, TorrentProgress progress, int listenPort) => display.Progress(phase, progress, listenPort);

        public void Peers(IReadOnlyList<PeerInfo> peers) => display.Peers(peers);

        public void DownloadCompleted(DownloadCompletion completion)
        {
            display.DownloadCompleted(completion);
            display.Message(CompletionSummary.Text(completion));
        }
    }
}
