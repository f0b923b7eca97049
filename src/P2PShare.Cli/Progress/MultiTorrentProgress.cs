using System.Globalization;
using P2PShare.Cli.Output;
using P2PShare.Engine;
using P2PShare.Hosting;
using P2PShare.Metainfo;

namespace P2PShare.Cli.Progress;

/// <summary>
/// The console view of several torrents in one process: one line per torrent and a line of totals, redrawn in place
/// every second on a terminal, or printed every few seconds when the output is a file or pipe. Each torrent's
/// messages are printed above it with the torrent's name.
/// </summary>
internal sealed class MultiTorrentProgress(TextWriter output, bool isTerminal, TimeProvider time)
{
    private static readonly TimeSpan PlainInterval = TimeSpan.FromSeconds(5);
    private const int MaxLines = 20;
    private readonly object _gate = new();
    private DateTimeOffset _lastPlain = DateTimeOffset.MinValue;
    private int _drawnLines;

    /// <summary>The observer a torrent's run reports to: its messages go out prefixed; progress is polled by <see cref="Render"/>.</summary>
    public IRunObserver For(string label) => new Prefixed(this, label);

    public void Message(string text)
    {
        lock (_gate)
        {
            Erase();
            output.WriteLine(DisplayText.OneLine(text));
        }
    }

    public void Render(IReadOnlyList<ManagedTorrent> torrents, bool force = false)
    {
        // Many torrents (a seedbox): the busiest few, then a count of the rest, so a redraw stays one screen.
        var shown = torrents.Count <= MaxLines ? torrents
            : torrents.OrderByDescending(t => t.State == TorrentState.Error).ThenByDescending(t => t.Runner?.Progress() is { } p ? p.DownloadRate + p.UploadRate : 0).Take(MaxLines).ToList();
        var lines = shown.Select(t => DisplayText.OneLine(Line(t))).ToList();
        if (shown.Count < torrents.Count)
            lines.Add($"... and {torrents.Count - shown.Count} more");
        var progress = torrents.Select(t => t.Runner?.Progress()).OfType<TorrentProgress>().ToList();
        lines.Add(string.Create(CultureInfo.InvariantCulture,
            $"Total: {torrents.Count} torrents, {torrents.Count(t => t.State == TorrentState.Seeding)} seeding  "
            + $"down {ByteSize.Format((long)progress.Sum(p => p.DownloadRate))}/s  up {ByteSize.Format((long)progress.Sum(p => p.UploadRate))}/s  "
            + $"peers {progress.Sum(p => p.Peers)}"));
        lock (_gate)
        {
            if (!isTerminal)
            {
                var now = time.GetUtcNow();
                if (!force && now - _lastPlain < PlainInterval)
                    return;
                _lastPlain = now;
                foreach (var line in lines)
                    output.WriteLine(line);
                return;
            }
            Erase();
            foreach (var line in lines)
                output.WriteLine(line);
            _drawnLines = lines.Count;
            output.Flush();
        }
    }

    private static string Line(ManagedTorrent torrent)
    {
        var name = torrent.Name.Length > 30 ? torrent.Name[..29] + "…" : torrent.Name;
        var head = string.Create(CultureInfo.InvariantCulture, $"[{torrent.Id}] {name,-30} {torrent.State,-16}");
        if (torrent.State == TorrentState.Error)
            return head + " " + torrent.Error;
        if (torrent.Runner?.Progress() is not { } p)
            return head;
        return head + string.Create(CultureInfo.InvariantCulture,
            $" {p.Fraction * 100,5:0.0}%  {ByteSize.Format(p.VerifiedBytes)}/{ByteSize.Format(p.TotalLength)}  "
            + $"down {ByteSize.Format((long)p.DownloadRate)}/s  up {ByteSize.Format((long)p.UploadRate)}/s  peers {p.Peers}  ETA {ConsoleProgress.Eta(p)}");
    }

    /// <summary>Moves the cursor back over the last drawn block and clears it (terminal only).</summary>
    private void Erase()
    {
        if (!isTerminal || _drawnLines == 0)
            return;
        output.Write($"\u001b[{_drawnLines}A\u001b[J");
        _drawnLines = 0;
    }

    private sealed class Prefixed(MultiTorrentProgress owner, string label) : IRunObserver
    {
        public void Message(string text) => owner.Message(text.StartsWith(label, StringComparison.Ordinal) ? text : $"{label}: {text}");

        public void Checking(string reason, double fraction)
        {
        }

        public void Progress(RunPhase phase, TorrentProgress progress, int listenPort)
        {
        }

        public void Peers(IReadOnlyList<PeerInfo> peers)
        {
        }
    }
}
