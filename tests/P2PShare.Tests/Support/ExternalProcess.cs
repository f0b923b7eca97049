using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text;
using System.Text.Json;

namespace P2PShare.Tests.Support;

/// <summary>
/// A program started by a test: stdout/stderr captured into bounded tails (for failure messages), JSON
/// lines on stdout parsed, and the whole process tree killed by PID on dispose. Every live instance is
/// also killed when the test host exits, as a safety net for a dispose that never ran.
/// </summary>
public sealed partial class ExternalProcess : IAsyncDisposable
{
    private static readonly ConcurrentDictionary<int, Process> Live = new();

    private readonly Process _process;
    private readonly BoundedLog _stdout;
    private readonly BoundedLog _stderr;
    private readonly BoundedLog _combined;
    private readonly Lock _jsonLock = new();
    private readonly Queue<JsonElement> _jsonLines = new();
    private readonly int _maxJsonLines;
    private readonly TaskCompletionSource _stdoutClosed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _stderrClosed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private long _jsonLineCount;
    private int _disposed;

    static ExternalProcess()
    {
        AppDomain.CurrentDomain.ProcessExit += (_, _) =>
        {
            foreach (var process in Live.Values)
            {
                TryKillTree(process);
            }
        };
    }

    private ExternalProcess(Process process, string name, int tailLines, int maxJsonLines)
    {
        _process = process;
        Name = name;
        _maxJsonLines = maxJsonLines;
        _stdout = new BoundedLog(tailLines);
        _stderr = new BoundedLog(tailLines);
        _combined = new BoundedLog(tailLines);
    }

    /// <summary>Short name used in messages (defaults to the program's file name).</summary>
    public string Name { get; }

    public int Pid { get; private set; }

    public bool HasExited => _process.HasExited;

    /// <summary>Exit code once exited, else null.</summary>
    public int? ExitCode => _process.HasExited ? _process.ExitCode : null;

    /// <summary>Last lines of stdout.</summary>
    public string StdoutTail => _stdout.Text();

    /// <summary>Last lines of stderr.</summary>
    public string StderrTail => _stderr.Text();

    /// <summary>Last lines of both streams in arrival order, each prefixed "out| " or "err| ".</summary>
    public string OutputTail => _combined.Text();

    /// <summary>Number of JSON object lines read from stdout so far.</summary>
    public long JsonLineCount => Interlocked.Read(ref _jsonLineCount);

    /// <summary>Raised (on a reader thread) for each stdout line.</summary>
    public event Action<string>? StdoutLine;

    /// <summary>
    /// Starts <paramref name="fileName"/> with <paramref name="arguments"/>. Environment entries with a null
    /// value are removed from the child's environment. stdin is redirected (see <see cref="WriteLineAsync"/>).
    /// </summary>
    public static ExternalProcess Start(string fileName, IEnumerable<string> arguments,
        IReadOnlyDictionary<string, string?>? environment = null, string? workingDirectory = null,
        string? name = null, int tailLines = 300, int maxJsonLines = 2000)
    {
        var startInfo = new ProcessStartInfo(fileName)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
            StandardOutputEncoding = Encoding.UTF8,
            StandardErrorEncoding = Encoding.UTF8,
        };
        foreach (var argument in arguments)
        {
            startInfo.ArgumentList.Add(argument);
        }
        if (workingDirectory is not null)
        {
            startInfo.WorkingDirectory = workingDirectory;
        }
        if (environment is not null)
        {
            foreach (var (key, value) in environment)
            {
                if (value is null)
                {
                    startInfo.Environment.Remove(key);
                }
                else
                {
                    startInfo.Environment[key] = value;
                }
            }
        }
        var process = new Process { StartInfo = startInfo, EnableRaisingEvents = true };
        var wrapper = new ExternalProcess(process, name ?? Path.GetFileName(fileName), tailLines, maxJsonLines);
        process.OutputDataReceived += (_, e) => wrapper.OnStdout(e.Data);
        process.ErrorDataReceived += (_, e) => wrapper.OnStderr(e.Data);
        process.Start();
        wrapper.Pid = process.Id;
        Live[process.Id] = process;
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return wrapper;
    }

    /// <summary>Snapshot of the (most recent, bounded) JSON object lines read from stdout.</summary>
    public IReadOnlyList<JsonElement> JsonLines()
    {
        lock (_jsonLock)
        {
            return _jsonLines.ToArray();
        }
    }

    /// <summary>The most recent JSON line matching <paramref name="filter"/> (any when null), or null.</summary>
    public JsonElement? LastJsonLine(Func<JsonElement, bool>? filter = null)
    {
        lock (_jsonLock)
        {
            foreach (var line in _jsonLines.Reverse())
            {
                if (filter is null || filter(line))
                {
                    return line;
                }
            }
        }
        return null;
    }

    /// <summary>
    /// Waits for a JSON line matching <paramref name="predicate"/> (already received lines count).
    /// Fails the test on timeout, or when the process exits without producing one.
    /// </summary>
    public async Task<JsonElement> WaitForJsonLineAsync(Func<JsonElement, bool> predicate, TimeSpan timeout,
        string whatWeWaitFor, CancellationToken cancellationToken = default)
    {
        JsonElement? found = null;
        await Eventually.UntilAsync(() =>
        {
            found = LastJsonLine(predicate);
            if (found is null && HasExited)
            {
                // Let the readers drain what the process wrote before it exited.
                if (!_stdoutClosed.Task.IsCompleted)
                {
                    return false;
                }
                found = LastJsonLine(predicate);
                if (found is null)
                {
                    Assert.Fail($"{Name} (pid {Pid}) exited with code {ExitCode} before {whatWeWaitFor}.{Environment.NewLine}{Describe()}");
                }
            }
            return found is not null;
        }, timeout, $"{whatWeWaitFor} from {Name} (pid {Pid})", Describe, TimeSpan.FromMilliseconds(50), cancellationToken)
            .ConfigureAwait(false);
        return found!.Value;
    }

    /// <summary>Writes one line to the process's stdin.</summary>
    public async Task WriteLineAsync(string line, CancellationToken cancellationToken = default)
    {
        await _process.StandardInput.WriteLineAsync(line.AsMemory(), cancellationToken).ConfigureAwait(false);
        await _process.StandardInput.FlushAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Waits for exit and returns the exit code; throws <see cref="TimeoutException"/> (with the output tail)
    /// when it does not exit within <paramref name="timeout"/>.
    /// </summary>
    public async Task<int> WaitForExitAsync(TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        linked.CancelAfter(timeout);
        try
        {
            await _process.WaitForExitAsync(linked.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new TimeoutException($"{Name} (pid {Pid}) did not exit within {timeout.TotalSeconds:0.#} s.{Environment.NewLine}{Describe()}");
        }
        // Give the stream readers a moment to deliver the last lines.
        await Task.WhenAny(Task.WhenAll(_stdoutClosed.Task, _stderrClosed.Task), Task.Delay(TimeSpan.FromSeconds(2), cancellationToken))
            .ConfigureAwait(false);
        return _process.ExitCode;
    }

    /// <summary>SIGTERM, wait up to <paramref name="grace"/>, then kill the whole tree. Returns the exit code.</summary>
    public async Task<int> StopAsync(TimeSpan grace, CancellationToken cancellationToken = default)
    {
        if (!HasExited)
        {
            try
            {
                Terminate();
                return await WaitForExitAsync(grace, cancellationToken).ConfigureAwait(false);
            }
            catch (TimeoutException)
            {
                // Falls through to the hard kill.
            }
            catch (InvalidOperationException)
            {
                // Already gone.
            }
        }
        TryKillTree(_process);
        return await WaitForExitAsync(TimeSpan.FromSeconds(10), cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Name, PID, exit state and the output tail: for failure messages.</summary>
    public string Describe()
    {
        var state = HasExited ? $"exited with {ExitCode}" : "running";
        return $"--- {Name} (pid {Pid}, {state}) output tail ---{Environment.NewLine}{OutputTail}";
    }

    /// <summary>Kills the whole process tree (by PID) if it still runs, and waits briefly for it.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }
        TryKillTree(_process);
        try
        {
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            await _process.WaitForExitAsync(cts.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            TestContext.Progress.WriteLine($"ExternalProcess: {Name} (pid {Pid}) did not exit 10 s after SIGKILL");
        }
        catch (InvalidOperationException)
        {
            // Never started or already released.
        }
        Live.TryRemove(Pid, out _);
        _process.Dispose();
    }

    private static void TryKillTree(Process process)
    {
        try
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
            }
        }
        catch (InvalidOperationException)
        {
            // Exited meanwhile.
        }
        catch (System.ComponentModel.Win32Exception)
        {
            // Exited meanwhile or not ours to kill.
        }
    }

    private void OnStdout(string? line)
    {
        if (line is null)
        {
            _stdoutClosed.TrySetResult();
            return;
        }
        _stdout.Add(line);
        _combined.Add("out| " + line);
        if (line.StartsWith('{'))
        {
            TryParseJson(line);
        }
        StdoutLine?.Invoke(line);
    }

    private void OnStderr(string? line)
    {
        if (line is null)
        {
            _stderrClosed.TrySetResult();
            return;
        }
        _stderr.Add(line);
        _combined.Add("err| " + line);
    }

    private void TryParseJson(string line)
    {
        try
        {
            using var document = JsonDocument.Parse(line);
            if (document.RootElement.ValueKind != JsonValueKind.Object)
            {
                return;
            }
            var element = document.RootElement.Clone();
            lock (_jsonLock)
            {
                _jsonLines.Enqueue(element);
                while (_jsonLines.Count > _maxJsonLines)
                {
                    _jsonLines.Dequeue();
                }
            }
            Interlocked.Increment(ref _jsonLineCount);
        }
        catch (JsonException)
        {
            // Not JSON after all: it stays in the text tail.
        }
    }

    /// <summary>Keeps the last N lines only, so a chatty program cannot exhaust memory.</summary>
    private sealed class BoundedLog(int capacity)
    {
        private const int MaxLineLength = 4000;
        private readonly Queue<string> _lines = new();
        private readonly Lock _lock = new();
        private long _dropped;

        public void Add(string line)
        {
            if (line.Length > MaxLineLength)
            {
                line = line[..MaxLineLength] + "…";
            }
            lock (_lock)
            {
                _lines.Enqueue(line);
                while (_lines.Count > capacity)
                {
                    _lines.Dequeue();
                    _dropped++;
                }
            }
        }

        public string Text()
        {
            lock (_lock)
            {
                var body = string.Join(Environment.NewLine, _lines);
                return _dropped > 0 ? $"[{_dropped} earlier lines dropped]{Environment.NewLine}{body}" : body;
            }
        }
    }
}
