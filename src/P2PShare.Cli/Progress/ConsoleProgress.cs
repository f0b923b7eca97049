using System.Globalization;
using P2PShare.Engine;
using P2PShare.Cli.Output;
using P2PShare.Hosting;
using P2PShare.Metainfo;

namespace P2PShare.Cli.Progress;

/// <summary>
/// The console view of a run: on a terminal, one status line redrawn in place every second; when the
/// output is a file or pipe, a plain line every few seconds so logs stay readable.
/// </summary>
internal sealed class ConsoleProgress(TextWriter output, bool isTerminal, TimeProvider time) : IRunObserver
{
    private static readonly TimeSpan PlainInterval = TimeSpan.FromSeconds(5);
    private readonly object _gate = new();
    private DateTimeOffset _lastPlain = DateTimeOffset.MinValue;
    private int _lastWidth;

    public void Message(string text)
    {
        lock (_gate)
        {
            ClearLine();
            output.WriteLine(DisplayText.OneLine(text));
        }
    }

    public void Checking(string reason, double fraction) => Write($"Checking {fraction * 100,5:0.0}%  ({reason})", force: false);

    public void FetchingMetadata(MetadataFetchProgress progress)
    {
        var pieces = progress.PieceCount == 0 ? "size not known yet" : $"{progress.PiecesReceived}/{progress.PieceCount} pieces";
        Write(string.Create(CultureInfo.InvariantCulture,
            $"Fetching metadata from {progress.Peers} peers ({progress.PeersWithMetadata} offer it, {pieces})"), force: false);
    }

    public void Progress(RunPhase phase, TorrentProgress progress, int listenPort)
    {
        var state = phase switch
        {
            RunPhase.Seeding => "Seeding",
            RunPhase.Stopping => "Stopping",
            _ => progress.InEndgame ? "Endgame" : "Downloading",
        };
        var rates = Rates(phase, progress);
        var line = string.Create(CultureInfo.InvariantCulture,
            $"{state} {progress.Fraction * 100,5:0.0}%  {ByteSize.Format(progress.VerifiedBytes)}/{ByteSize.Format(progress.TotalLength)}  {rates}"
            + $"peers {progress.Peers} ({progress.Seeds} seeds)  ETA {Eta(progress)}{(progress.DhtNodes is { } nodes ? $"  dht {nodes} nodes, {progress.DhtPeers ?? 0} peers" : "")}");
        Write(line, force: phase == RunPhase.Stopping);
        if (phase == RunPhase.Stopping && isTerminal)
            lock (_gate)
                output.WriteLine();
    }

    /// <summary>
    /// Live rates only: while seeding there is nothing to download, so only the upload rate is shown (the download
    /// rate's window would otherwise show the last seconds of the download); with no peer connected, no rates at all.
    /// </summary>
    internal static string Rates(RunPhase phase, TorrentProgress progress)
    {
        if (progress.Peers == 0)
            return "idle  ";
        var up = $"up {ByteSize.Format((long)progress.UploadRate)}/s  ";
        return phase == RunPhase.Seeding || progress.IsComplete ? up : $"down {ByteSize.Format((long)progress.DownloadRate)}/s  " + up;
    }

    public void Peers(IReadOnlyList<PeerInfo> peers)
    {
        var lines = new List<string> { $"{"peer",-22} {"client",-20} {"down/s",10} {"up/s",10} {"have",6} {"score",6} {"reqs",5} {"source",-8} {"via",-9} flags" };
        lines.AddRange(peers.OrderByDescending(p => p.Score).Select(p => string.Create(CultureInfo.InvariantCulture,
            $"{p.Address,-22} {Truncate(p.Client, 20),-20} {ByteSize.Format((long)p.DownloadRate),10} {ByteSize.Format((long)p.UploadRate),10} {p.PiecesFraction * 100,5:0}% {p.Score,6:0.0} {p.Outstanding,5} {p.Source.ToString().ToLowerInvariant(),-8} {p.Transport,-9} {p.Flags}{(p.Note is null ? "" : "  " + p.Note)}")));
        lock (_gate)
        {
            ClearLine();
            foreach (var line in lines)
                output.WriteLine(DisplayText.OneLine(line));
        }
    }

    private static string Truncate(string text, int length) => text.Length <= length ? text : text[..length];

    private void Write(string line, bool force)
    {
        lock (_gate)
        {
            if (isTerminal)
            {
                line = DisplayText.OneLine(line);
                var padded = line.PadRight(_lastWidth);
                _lastWidth = line.Length;
                output.Write('\r' + padded);
                output.Flush();
                return;
            }
            var now = time.GetUtcNow();
            if (!force && now - _lastPlain < PlainInterval)
                return;
            _lastPlain = now;
            output.WriteLine(DisplayText.OneLine(line));
        }
    }

    private void ClearLine()
    {
        if (!isTerminal || _lastWidth == 0)
            return;
        output.Write('\r' + new string(' ', _lastWidth) + '\r');
        _lastWidth = 0;
    }

    internal static string Eta(TorrentProgress progress)
    {
        if (progress.IsComplete)
            return "done";
        if (progress.DownloadRate < 1)
            return "--";
        var seconds = progress.Left / progress.DownloadRate;
        if (seconds > 99 * 3600)
            return ">99h";
        var eta = TimeSpan.FromSeconds(seconds);
        return eta.TotalHours >= 1 ? $"{(int)eta.TotalHours}h{eta.Minutes:00}m" : $"{eta.Minutes}m{eta.Seconds:00}s";
    }
}
