using System.Text.Json;
using System.Text.RegularExpressions;
using P2PShare.Tests.Support;

namespace P2PShare.Tests.Interop.Foundation;

/// <summary>What a reference implementation says about a torrent.</summary>
internal sealed record TorrentFacts(string InfoHash, int PieceCount, IReadOnlyList<string> Files, long? TotalSize = null);

/// <summary>Asks libtorrent (python bindings) and transmission-show about torrents, and makes torrents with them.</summary>
internal static partial class ReferenceTools
{
    private static readonly TimeSpan ToolTimeout = TimeSpan.FromSeconds(60);

    private const string LibtorrentRead = """
        import json, sys
        import libtorrent as lt
        ti = lt.torrent_info(sys.argv[1])
        fs = ti.files()
        files = [fs.file_path(i).replace('\\', '/') for i in range(fs.num_files())
                 if not fs.file_flags(i) & lt.file_storage.flag_pad_file]
        print(json.dumps({"infoHash": str(ti.info_hashes().v1), "pieces": ti.num_pieces(),
                          "total": ti.total_size(), "files": files}))
        """;

    /// <summary>Adds the torrent to a libtorrent session over existing data and waits for its check: prints pieces it has.</summary>
    private const string LibtorrentVerify = """
        import json, sys, time
        import libtorrent as lt
        ses = lt.session({"listen_interfaces": "127.0.0.1:0", "enable_dht": False, "enable_lsd": False,
                          "enable_upnp": False, "enable_natpmp": False})
        ti = lt.torrent_info(sys.argv[1])
        h = ses.add_torrent({"ti": ti, "save_path": sys.argv[2]})
        deadline = time.time() + 60
        while time.time() < deadline:
            s = h.status()
            if s.state not in (lt.torrent_status.checking_files, lt.torrent_status.checking_resume_data) and s.has_metadata:
                if s.num_pieces == ti.num_pieces() or s.state != lt.torrent_status.checking_files:
                    break
            time.sleep(0.05)
        s = h.status()
        print(json.dumps({"have": s.num_pieces, "pieces": ti.num_pieces(), "seeding": s.is_seeding}))
        """;

    private const string LibtorrentCreate = """
        import sys, os
        import libtorrent as lt
        source, output, piece_size, v1_only = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4] == "v1"
        fs = lt.file_storage()
        lt.add_files(fs, source)
        t = lt.create_torrent(fs, piece_size, flags=lt.create_torrent.v1_only if v1_only else 0)
        t.add_tracker("http://127.0.0.1:1/announce")
        lt.set_piece_hashes(t, os.path.dirname(os.path.abspath(source)))
        with open(output, "wb") as f:
            f.write(lt.bencode(t.generate()))
        """;

    public static async Task<TorrentFacts> LibtorrentReadAsync(string torrentPath)
    {
        var python = RequiredTool.EnsureLibtorrent();
        var json = JsonDocument.Parse(await RunAsync(python, ["-c", LibtorrentRead, torrentPath])).RootElement;
        return new TorrentFacts(
            json.GetProperty("infoHash").GetString()!,
            json.GetProperty("pieces").GetInt32(),
            [.. json.GetProperty("files").EnumerateArray().Select(f => f.GetString()!)],
            json.GetProperty("total").GetInt64());
    }

    /// <summary>Pieces libtorrent found valid on disk below <paramref name="savePath"/>, and the torrent's piece count.</summary>
    public static async Task<(int Have, int Pieces)> LibtorrentVerifyAsync(string torrentPath, string savePath)
    {
        var python = RequiredTool.EnsureLibtorrent();
        var json = JsonDocument.Parse(await RunAsync(python, ["-c", LibtorrentVerify, torrentPath, savePath])).RootElement;
        return (json.GetProperty("have").GetInt32(), json.GetProperty("pieces").GetInt32());
    }

    /// <summary>Makes a torrent with lt.create_torrent: hybrid v1+v2 (libtorrent 2's default) or v1 only.</summary>
    public static async Task LibtorrentCreateAsync(string source, string output, int pieceLength, bool v1Only)
    {
        var python = RequiredTool.EnsureLibtorrent();
        await RunAsync(python, ["-c", LibtorrentCreate, source, output,
            pieceLength.ToString(System.Globalization.CultureInfo.InvariantCulture), v1Only ? "v1" : "hybrid"]);
    }

    public static async Task<TorrentFacts> TransmissionShowAsync(string torrentPath)
    {
        var program = RequiredTool.Ensure("transmission-show");
        var output = await RunAsync(program, ["-u", torrentPath]);
        var hash = HashLine().Match(output);
        var pieces = PieceCountLine().Match(output);
        Assert.That(hash.Success && pieces.Success, Is.True, $"unexpected transmission-show output:\n{output}");
        var filesSection = output[(output.IndexOf("\nFILES\n", StringComparison.Ordinal) + 7)..];
        var files = filesSection.Split('\n').Select(l => FileLine().Match(l)).Where(m => m.Success).Select(m => m.Groups[1].Value).ToList();
        return new TorrentFacts(hash.Groups[1].Value, int.Parse(pieces.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture), files);
    }

    public static async Task TransmissionCreateAsync(string source, string output, int pieceKiB)
    {
        var program = RequiredTool.Ensure("transmission-create");
        await RunAsync(program, ["-o", output, "-s", pieceKiB.ToString(System.Globalization.CultureInfo.InvariantCulture),
            "-t", "http://127.0.0.1:1/announce", "-c", "made by transmission", source]);
    }

    /// <summary>Runs a tool to completion (bounded wait, killed on dispose); fails the test with its output on a non-zero exit.</summary>
    public static async Task<string> RunAsync(string program, IReadOnlyList<string> arguments)
    {
        await using var process = ExternalProcess.Start(program, arguments, tailLines: 10_000);
        var exit = await process.WaitForExitAsync(ToolTimeout);
        Assert.That(exit, Is.EqualTo(0), $"{Path.GetFileName(program)} failed.\n{process.Describe()}");
        Assert.That(process.StdoutTail, Does.Not.StartWith("["), "output longer than the captured tail");
        return process.StdoutTail.ReplaceLineEndings("\n") + "\n";
    }

    [GeneratedRegex(@"^\s*Hash:\s*([0-9a-f]{40})\s*$", RegexOptions.Multiline)]
    private static partial Regex HashLine();

    [GeneratedRegex(@"^\s*Piece Count:\s*(\d+)\s*$", RegexOptions.Multiline)]
    private static partial Regex PieceCountLine();

    [GeneratedRegex(@"^  (.+) \([0-9.]+ [kMGT]?B\)$")]
    private static partial Regex FileLine();
}
