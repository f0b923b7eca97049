using System.Diagnostics;

namespace P2PShare.Cli.Output;

/// <summary>
/// Shows hashing progress on stderr: a bar redrawn in place on a terminal (at most 10 times a second), nothing
/// between the start and end lines otherwise, so logs and pipes stay clean.
/// </summary>
internal sealed class HashProgress : IProgress<long>, IDisposable
{
    private readonly long _total;
    private readonly bool _interactive;
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private readonly Lock _gate = new();
    private long _done;
    private long _lastDrawMs = -1000;

    public HashProgress(long total, bool interactive)
    {
        _total = total;
        _interactive = interactive;
    }

    public static bool StderrIsTerminal => !Console.IsErrorRedirected;

    public TimeSpan Elapsed => _clock.Elapsed;

    public void Report(long value)
    {
        if (!_interactive)
            return;
        lock (_gate)
        {
            // Reports come from several hashing threads and may arrive out of order.
            if (value <= _done)
                return;
            _done = value;
            var now = _clock.ElapsedMilliseconds;
            if (value < _total && now - _lastDrawMs < 100)
                return;
            _lastDrawMs = now;
            Draw();
        }
    }

    private void Draw()
    {
        const int width = 30;
        var fraction = _total == 0 ? 1 : (double)_done / _total;
        var filled = (int)(fraction * width);
        var seconds = Math.Max(_clock.Elapsed.TotalSeconds, 0.001);
        var rate = ByteSize.Format((long)(_done / seconds)) + "/s";
        Console.Error.Write($"\r[{new string('#', filled)}{new string('.', width - filled)}] {fraction * 100,5:0.0}%  {ByteSize.Format(_done)} / {ByteSize.Format(_total)}  {rate}   ");
    }

    public void Dispose()
    {
        if (_interactive)
        {
            lock (_gate)
                Console.Error.WriteLine();
        }
    }
}
