using System.Text.Json;

namespace P2PShare.Tests.Support;

/// <summary>What lt_create.py reports about a torrent it made.</summary>
/// <param name="InfoHashV2">The SHA-256 info-hash of a v2 or hybrid torrent; empty for v1.</param>
public sealed record CreatedTorrent(string TorrentPath, string InfoHash, string Name, int PieceLength, int NumPieces, long TotalSize, int Files,
    string InfoHashV2 = "");

/// <summary>Makes .torrent files with libtorrent (scripts/swarm/lt_create.py).</summary>
public static class LibtorrentTorrent
{
    /// <summary>
    /// Creates a v1 torrent of <paramref name="contentPath"/> (file or directory) at <paramref name="torrentPath"/>.
    /// <paramref name="pieceLength"/> 0 lets libtorrent choose. Stops the test when python3-libtorrent is missing.
    /// </summary>
    public static async Task<CreatedTorrent> CreateAsync(string contentPath, string torrentPath, int pieceLength = 0,
        IEnumerable<string>? trackers = null, bool isPrivate = false, string format = "v1", CancellationToken cancellationToken = default)
    {
        var python = RequiredTool.EnsureLibtorrent();
        var args = new List<string> { SwarmScripts.Path("lt_create.py"), "--path", contentPath, "--out", torrentPath,
            "--piece-length", pieceLength.ToString(System.Globalization.CultureInfo.InvariantCulture), "--format", format };
        foreach (var tracker in trackers ?? [])
        {
            args.AddRange(["--tracker", tracker]);
        }
        if (isPrivate)
        {
            args.Add("--private");
        }
        await using var process = ExternalProcess.Start(python, args, name: "lt_create.py");
        var exit = await process.WaitForExitAsync(TimeSpan.FromSeconds(60), cancellationToken).ConfigureAwait(false);
        var line = process.LastJsonLine();
        if (exit != 0 || line is null)
        {
            Assert.Fail($"lt_create.py failed with exit code {exit}.{Environment.NewLine}{process.Describe()}");
        }
        var json = line!.Value;
        return new CreatedTorrent(
            json.GetProperty("torrent").GetString()!,
            json.GetProperty("info_hash").GetString()!,
            json.GetProperty("name").GetString()!,
            json.GetProperty("piece_length").GetInt32(),
            json.GetProperty("num_pieces").GetInt32(),
            json.GetProperty("total_size").GetInt64(),
            json.GetProperty("files").GetInt32(),
            json.TryGetProperty("info_hash_v2", out var v2) ? v2.GetString() ?? "" : "");
    }
}
