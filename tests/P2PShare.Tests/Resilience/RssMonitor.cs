using System.Globalization;

namespace P2PShare.Tests.Resilience;

/// <summary>
/// Samples a process's resident set size (VmRSS in /proc/PID/status) in the background and keeps the
/// largest value seen, so a test can assert that memory stayed bounded while a peer misbehaved.
/// </summary>
public sealed class RssMonitor : IAsyncDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;
    private long _maxBytes;
    private int _samples;

    private RssMonitor(int pid, TimeSpan interval)
    {
        Pid = pid;
        _loop = Task.Run(() => LoopAsync(interval));
    }

    public int Pid { get; }

    /// <summary>Largest VmRSS seen so far, in bytes (0 before the first sample).</summary>
    public long MaxBytes => Interlocked.Read(ref _maxBytes);

    public int Samples => Volatile.Read(ref _samples);

    public static RssMonitor Start(int pid, TimeSpan? interval = null) => new(pid, interval ?? TimeSpan.FromMilliseconds(50));

    /// <summary>VmRSS of <paramref name="pid"/> in bytes, or null when the process is gone.</summary>
    public static long? ReadRss(int pid)
    {
        try
        {
            foreach (var line in File.ReadLines($"/proc/{pid.ToString(CultureInfo.InvariantCulture)}/status"))
            {
                if (!line.StartsWith("VmRSS:", StringComparison.Ordinal))
                {
                    continue;
                }
                var parts = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
                return long.Parse(parts[1], CultureInfo.InvariantCulture) * 1024; // the kernel reports kB
            }
            return null; // a zombie has no VmRSS line
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    public override string ToString() => $"max VmRSS {MaxBytes / (1024.0 * 1024):0.0} MiB over {Samples} samples of pid {Pid}";

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        await _loop.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        _stop.Dispose();
    }

    private async Task LoopAsync(TimeSpan interval)
    {
        while (!_stop.IsCancellationRequested)
        {
            if (ReadRss(Pid) is { } rss)
            {
                Interlocked.Increment(ref _samples);
                long seen;
                while (rss > (seen = Interlocked.Read(ref _maxBytes)) && Interlocked.CompareExchange(ref _maxBytes, rss, seen) != seen)
                {
                }
            }
            try
            {
                await Task.Delay(interval, _stop.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }
}
