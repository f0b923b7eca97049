using System.Globalization;
using System.Text.Json.Nodes;
using P2PShare.Engine;
using P2PShare.Hosting;

namespace P2PShare.Cli.Progress;

/// <summary>
/// 'download --json': one JSON object per line on the output, for scripts and other programs. Every object has
/// "event" and "time" (UTC, ISO 8601), and "torrent" (the name given on the command line or learnt) where it is
/// about one torrent. Events: "message", "checking", "metadata", "state" (each change: checking, downloading,
/// endgame, seeding, stopping), "progress" (every <see cref="Interval"/> and with each state change),
/// "peers", "complete" (with the summary), "error", and a last "exit" with the exit code.
/// </summary>
internal sealed class JsonProgress(TextWriter output, TimeProvider time, string torrent) : IRunObserver
{
    public static readonly TimeSpan Interval = TimeSpan.FromSeconds(2);
    private static readonly object OutputGate = new();
    private readonly object _gate = new();
    private DateTimeOffset _lastProgress = DateTimeOffset.MinValue;
    private DateTimeOffset _lastChecking = DateTimeOffset.MinValue;
    private DateTimeOffset _lastMetadata = DateTimeOffset.MinValue;
    private string? _state;
    private string _name = torrent;
    private string? _infoHash;

    public void Message(string text) => Emit("message", new JsonObject { ["text"] = text });

    public void Checking(string reason, double fraction)
    {
        ChangeState("checking");
        if (!Due(ref _lastChecking, fraction >= 1))
            return;
        Emit("checking", new JsonObject { ["reason"] = reason, ["progress"] = Math.Round(fraction, 4) });
    }

    public void FetchingMetadata(MetadataFetchProgress progress)
    {
        ChangeState("metadata");
        if (!Due(ref _lastMetadata, false))
            return;
        Emit("metadata", new JsonObject
        {
            ["peers"] = progress.Peers,
            ["peers_with_metadata"] = progress.PeersWithMetadata,
            ["pieces_received"] = progress.PiecesReceived,
            ["piece_count"] = progress.PieceCount,
        });
    }

    public void Progress(RunPhase phase, TorrentProgress progress, int listenPort)
    {
        var state = phase switch
        {
            RunPhase.Seeding => "seeding",
            RunPhase.Stopping => "stopping",
            RunPhase.Checking => "checking",
            _ => progress.InEndgame ? "endgame" : "downloading",
        };
        var changed = ChangeState(state);
        if (!Due(ref _lastProgress, changed))
            return;
        var eta = progress.IsComplete ? 0 : progress.DownloadRate >= 1 ? Math.Ceiling(progress.Left / progress.DownloadRate) : (double?)null;
        Emit("progress", new JsonObject
        {
            ["state"] = state,
            ["progress"] = Math.Round(progress.Fraction, 4),
            ["verified_bytes"] = progress.VerifiedBytes,
            ["total_bytes"] = progress.TotalLength,
            ["pieces"] = progress.PiecesHave,
            ["piece_count"] = progress.PieceCount,
            ["download_rate"] = Math.Round(progress.DownloadRate),
            ["upload_rate"] = Math.Round(progress.UploadRate),
            ["downloaded"] = progress.DownloadedPayload,
            ["uploaded"] = progress.UploadedPayload,
            ["peers"] = progress.Peers,
            ["seeds"] = progress.Seeds,
            ["eta_seconds"] = eta,
            ["complete"] = progress.IsComplete,
            ["listen_port"] = listenPort,
        });
    }

    public void Peers(IReadOnlyList<PeerInfo> peers)
    {
        var list = new JsonArray();
        foreach (var p in peers)
        {
            list.Add((JsonNode)new JsonObject
            {
                ["address"] = p.Address,
                ["client"] = p.Client,
                ["download_rate"] = Math.Round(p.DownloadRate),
                ["upload_rate"] = Math.Round(p.UploadRate),
                ["have"] = Math.Round(p.PiecesFraction, 4),
                ["source"] = p.Source.ToString().ToLowerInvariant(),
                ["transport"] = p.Transport,
                ["flags"] = p.Flags,
            });
            if (p.Note is not null)
                ((JsonObject)list[^1]!)["note"] = p.Note;
        }
        Emit("peers", new JsonObject { ["peers"] = list });
    }

    public void DownloadCompleted(DownloadCompletion completion)
    {
        lock (_gate)
        {
            _name = completion.Name;
            _infoHash = completion.InfoHash.ToString();
        }
        Emit("complete", CompletionSummary.ToJson(completion));
    }

    /// <summary>The run ended with an error (the torrent's own, or the command's).</summary>
    public void Error(string message) => Emit("error", new JsonObject { ["message"] = message });

    /// <summary>The last line: the process's exit code and what it means.</summary>
    public static void Exit(TextWriter output, TimeProvider time, int exitCode, string reason) =>
        Write(output, new JsonObject
        {
            ["event"] = "exit",
            ["time"] = Timestamp(time),
            ["exit_code"] = exitCode,
            ["reason"] = reason,
        });

    private bool ChangeState(string state)
    {
        lock (_gate)
        {
            if (_state == state)
                return false;
            _state = state;
        }
        Emit("state", new JsonObject { ["state"] = state });
        return true;
    }

    private bool Due(ref DateTimeOffset last, bool force)
    {
        lock (_gate)
        {
            var now = time.GetUtcNow();
            if (!force && now - last < Interval)
                return false;
            last = now;
            return true;
        }
    }

    private void Emit(string kind, JsonObject body)
    {
        var line = new JsonObject { ["event"] = kind, ["time"] = Timestamp(time) };
        lock (_gate)
        {
            line["torrent"] = _name;
            if (_infoHash is not null)
                line["info_hash"] = _infoHash;
        }
        foreach (var (key, value) in body.ToList())
        {
            body.Remove(key);
            line[key] = value;
        }
        Write(output, line);
    }

    private static string Timestamp(TimeProvider time) => time.GetUtcNow().ToString("yyyy-MM-ddTHH:mm:ss.fffZ", CultureInfo.InvariantCulture);

    private static void Write(TextWriter output, JsonObject line)
    {
        // Several torrents share the output: whole lines only.
        lock (OutputGate)
        {
            output.WriteLine(line.ToJsonString());
            output.Flush();
        }
    }
}
