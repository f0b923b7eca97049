using System.Diagnostics;
using System.Text;
using Microsoft.Extensions.Logging;

namespace P2PShare.Hosting;

/// <summary>
/// Where a torrent's start-up time goes (issue #20: a torrent of 100,000 files starts within 2 s): the steps from
/// the run's start to "listening", each timed with a <see cref="Stopwatch"/> and with the process's CPU time (on a
/// loaded machine wall time mostly measures the wait for a core), written once as one Debug line (<c>--verbose</c>)
/// together with the time since the process started. Costs a few timestamps per run.
/// </summary>
internal sealed class StartupTimer
{
    private readonly List<(string Step, long Ticks, TimeSpan Cpu)> _steps = new(8);
    private long _last = Stopwatch.GetTimestamp();
    private TimeSpan _lastCpu = Environment.CpuUsage.TotalTime;
    private bool _written;

    /// <summary>Ends the current step under <paramref name="step"/>; the next step starts now.</summary>
    public void Mark(string step)
    {
        var now = Stopwatch.GetTimestamp();
        var cpu = Environment.CpuUsage.TotalTime;
        _steps.Add((step, now - _last, cpu - _lastCpu));
        _last = now;
        _lastCpu = cpu;
    }

    /// <summary>The steps so far as "name 12 ms (CPU 9 ms), ..." (for tests and the log line).</summary>
    public string Describe()
    {
        var text = new StringBuilder();
        var culture = System.Globalization.CultureInfo.InvariantCulture;
        foreach (var (step, ticks, cpu) in _steps)
        {
            if (text.Length > 0)
                text.Append(", ");
            text.Append(culture, $"{step} {Stopwatch.GetElapsedTime(0, ticks).TotalMilliseconds:0} ms (CPU {cpu.TotalMilliseconds:0} ms)");
        }
        return text.ToString();
    }

    /// <summary>Writes the breakdown once (later calls do nothing).</summary>
    public void Log(ILogger logger, string torrentName, int files)
    {
        if (_written || !logger.IsEnabled(LogLevel.Debug))
            return;
        _written = true;
        logger.LogDebug("Start-up of {Name} ({Files} files): {Steps}; {SinceProcessStart:0} ms since the process started, {ProcessCpu:0} ms of CPU",
            torrentName, files, Describe(), SinceProcessStart().TotalMilliseconds, Environment.CpuUsage.TotalTime.TotalMilliseconds);
    }

    private static TimeSpan SinceProcessStart()
    {
        try
        {
            using var process = Process.GetCurrentProcess();
            return DateTime.Now - process.StartTime;
        }
        catch (Exception error) when (error is InvalidOperationException or NotSupportedException or System.ComponentModel.Win32Exception)
        {
            return TimeSpan.Zero;
        }
    }
}
