using P2PShare.Engine.Diagnosis;
using P2PShare.Hosting;

namespace P2PShare.Cli.Progress;

/// <summary>
/// Prints torrents' diagnoses: with --why whenever a torrent's causes change (its <see cref="TorrentDiagnosis.Signature"/>),
/// and on a terminal whenever the user presses 'w'. Writes through the status display, so the status line is not torn.
/// </summary>
internal sealed class DiagnosisPrinter : IAsyncDisposable
{
    private static readonly TimeSpan KeyPoll = TimeSpan.FromMilliseconds(200);
    private static readonly TimeSpan DiagnosePeriod = TimeSpan.FromSeconds(1);
    private readonly IReadOnlyList<(string? Name, ManagedTorrent Torrent)> _torrents;
    private readonly Action<string> _write;
    private readonly bool _onChange;
    private readonly bool _keys;
    private readonly TimeProvider _time;
    private readonly CancellationTokenSource _stop;
    private readonly Dictionary<ManagedTorrent, string> _printed = [];
    private readonly Task _loop;

    private DiagnosisPrinter(IReadOnlyList<(string?, ManagedTorrent)> torrents, Action<string> write, bool onChange, bool keys, TimeProvider time, CancellationToken cancellationToken)
    {
        _torrents = torrents;
        _write = write;
        _onChange = onChange;
        _keys = keys;
        _time = time;
        _stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        _loop = onChange || keys ? RunAsync(_stop.Token) : Task.CompletedTask;
    }

    /// <param name="onChange">--why: print whenever the causes change.</param>
    public static DiagnosisPrinter Start(IReadOnlyList<(string? Name, ManagedTorrent Torrent)> torrents, Action<string> write, bool onChange, TimeProvider time,
        CancellationToken cancellationToken) =>
        new(torrents, write, onChange, keys: StdinIsTerminal(), time, cancellationToken);

    /// <summary>The text printed for one diagnosis.</summary>
    public static string Format(string? name, TorrentDiagnosis diagnosis) =>
        $"Diagnosis{(name is null ? "" : $" of {name}")}: {diagnosis.Signature}{Environment.NewLine}{diagnosis}";

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        await _loop.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        _stop.Dispose();
    }

    private async Task RunAsync(CancellationToken cancellationToken)
    {
        var lastDiagnosis = _time.GetTimestamp();
        try
        {
            while (!cancellationToken.IsCancellationRequested)
            {
                await Task.Delay(_keys ? KeyPoll : DiagnosePeriod, _time, cancellationToken).ConfigureAwait(false);
                if (_keys && KeyPressed())
                    PrintAll(force: true);
                if (_onChange && _time.GetElapsedTime(lastDiagnosis) >= DiagnosePeriod)
                {
                    lastDiagnosis = _time.GetTimestamp();
                    PrintAll(force: false);
                }
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
    }

    private void PrintAll(bool force)
    {
        foreach (var (name, torrent) in _torrents)
        {
            var diagnosis = torrent.Diagnose();
            if (diagnosis is null)
            {
                if (force)
                    _write($"Diagnosis{(name is null ? "" : $" of {name}")}: none yet ({torrent.State})");
                continue;
            }
            if (!force && _printed.TryGetValue(torrent, out var last) && last == diagnosis.Signature)
                continue;
            _printed[torrent] = diagnosis.Signature;
            _write(Format(name, diagnosis));
        }
    }

    private static bool StdinIsTerminal()
    {
        try
        {
            return !Console.IsInputRedirected;
        }
        catch (IOException)
        {
            return false;
        }
    }

    private static bool KeyPressed()
    {
        try
        {
            var pressed = false;
            while (Console.KeyAvailable)
                pressed |= Console.ReadKey(intercept: true).KeyChar is 'w' or 'W';
            return pressed;
        }
        catch (Exception error) when (error is IOException or InvalidOperationException)
        {
            return false;
        }
    }
}
