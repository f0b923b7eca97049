using System.Diagnostics;
using System.Text;
using Microsoft.Extensions.Logging;

namespace P2PShare.Hosting;

/// <summary>
/// Where a torrent's start-up time goes (issue #20: a torrent of 100,000 files starts within 2 s): the steps from
/// the run's start to "listening", each timed with a <see cref="Stopwatch"/>, written once as one Debug line
/// (<c>--verbose</c>) together with the time since the process started. Costs a few timestamps per run.
/// </summary>
internal sealed class StartupTimer
{
    private readonly List<(string Step, long Ticks)> _steps = new(8);
    private long _last = Stopwatch.GetTimestamp();
    private bool _written;

    /// <summary>Ends the current step under <paramref name="step"/>; the next step starts now.</summary>
    public void Mark(string step)
    {
        var now = Stopwatch.GetTimestamp();
        _steps.Add((step, now - _last));
        _last = now;
    }

    /// <summary>The steps so far as "name 12 ms, ..." (for tests and the log line).</summary>
    public string Describe()
    {
        var text = new StringBuilder();
        foreach (var (step, ticks) in _steps)
        {
            if (text.Length > 0)
                text.Append(", ");
            text.Append(step).Append(' ').Append(Stopwatch.GetElapsedTime(0, ticks).TotalMilliseconds.ToString("0", System.Globalization.CultureInfo.InvariantCulture)).Append(" ms");
        }
        return text.ToString();
    }

    /// <summary>Writes the breakdown once (later calls do nothing).</summary>
    public void Log(ILogger logger, string torrentName, int files)
    {
        if (_written || !logger.IsEnabled(LogLevel.Debug))
            return;
        _written = true;
        logger.LogDebug("Start-up of {Name} ({Files} files): {Steps}; {SinceProcessStart:0} ms since the process started",
            torrentName, files, Describe(), SinceProcessStart().TotalMilliseconds);
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
