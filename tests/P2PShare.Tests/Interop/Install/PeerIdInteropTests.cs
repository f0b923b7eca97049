using System.Diagnostics;
using System.Text.Json;
using System.Text.RegularExpressions;
using P2PShare.Tests.Support;

namespace P2PShare.Tests.Interop.Install;

/// <summary>
/// The client-name table against the peer ids the real clients on this machine send: one 'download --peers --json'
/// dials a libtorrent, a transmission, an aria2 and a qBittorrent seeder, and the peer table must name each with
/// the version that program reports for itself (libtorrent's "-LT2080-" is "libtorrent 2.0.8", not "2080").
/// </summary>
[TestFixture]
[Category("Interop")]
public sealed class PeerIdInteropTests
{
    private static readonly TimeSpan Phase = TimeSpan.FromSeconds(25);

    [Test, CancelAfter(90_000)]
    public async Task The_peer_table_names_each_real_client_and_its_version(CancellationToken ct)
    {
        RequiredTool.EnsureLibtorrent();
        RequiredTool.Ensure("transmission-daemon", "aria2c", "qbittorrent-nox");
        var clock = Stopwatch.StartNew();
        var expected = new[]
        {
            "libtorrent " + TrimZeroPart(await VersionAsync(RequiredTool.DebianPython, ["-c", "import libtorrent; print(libtorrent.__version__)"], @"^(\d+\.\d+\.\d+(?:\.\d+)?)", ct)),
            "Transmission " + await VersionAsync("transmission-daemon", ["--version"], @"transmission-daemon (\d+\.\d+)", ct),
            "aria2 " + await VersionAsync("aria2c", ["--version"], @"aria2 version (\d+\.\d+\.\d+)", ct),
            "qBittorrent " + TrimZeroPart(await VersionAsync("qbittorrent-nox", ["--version"], @"qBittorrent v(\d+\.\d+\.\d+)", ct)),
        };
        TestContext.Out.WriteLine($"installed: {string.Join(", ", expected)}");

        await using var temp = new TempDirectory("p2pshare-peerid-");
        var seeds = new[] { "lt", "tr", "a2", "qb" }.Select(name => temp.CreateSubdirectory("seed-" + name)).ToArray();
        var data = TestData.CreateFile(Path.Combine(seeds[0], "named.bin"), 1 << 20, seed: 2424);
        foreach (var seed in seeds.Skip(1))
            File.Copy(data, Path.Combine(seed, "named.bin"));
        var torrent = await P2PShareClient.CreateTorrentAsync(data, temp.Combine("named.torrent"), pieceSizeKiB: 64, workDirectory: temp.Path, cancellationToken: ct);

        var libtorrentStart = LibtorrentPeer.StartSeedAsync(torrent.TorrentPath, seeds[0], o => o with { NoTrackers = true }, ct);
        var transmissionStart = TransmissionDaemon.StartAsync(temp.Path, cancellationToken: ct);
        var aria2Start = Aria2Peer.StartAsync(new Aria2PeerOptions(torrent.TorrentPath, seeds[2]) { Seed = true, NoTrackers = true }, ct);
        var qbittorrentStart = QbittorrentPeer.StartAsync(temp.CreateSubdirectory("qb"), ct);
        await using var libtorrent = await libtorrentStart;
        await using var transmission = await transmissionStart;
        await using var aria2 = await aria2Start;
        await using var qbittorrent = await qbittorrentStart;
        await transmission.AddTorrentAsync(torrent.TorrentPath, seeds[1], ct);
        await qbittorrent.AddTorrentAsync(torrent.TorrentPath, seeds[3], torrent.InfoHash, cancellationToken: ct);
        await Task.WhenAll(
            transmission.WaitForStatusAsync(torrent.InfoHash, s => s.IsSeeding, Phase, "to seed", ct),
            aria2.WaitForStatusAsync(s => s.IsComplete, Phase, "to seed", ct),
            qbittorrent.WaitForInfoAsync(torrent.InfoHash, i => i.IsComplete, Phase, "to seed", ct));
        TestContext.Out.WriteLine($"four seeders ready after {clock.Elapsed.TotalSeconds:0.0} s");

        // Capped so that the download outlasts a few peer tables (one every 5 s); we stop it once all four are named.
        await using var client = P2PShareClient.StartDownload(temp.Path, torrent.TorrentPath, temp.CreateSubdirectory("out"),
            "--peers", "--json", "--max-download-rate", "32K", "--give-up-after", "60",
            "--peer", $"127.0.0.1:{libtorrent.Port}", "--peer", $"127.0.0.1:{transmission.PeerPort}",
            "--peer", $"127.0.0.1:{aria2.Port}", "--peer", $"127.0.0.1:{qbittorrent.PeerPort}");
        // Either side may open the connection: qBittorrent is also told where we listen (a dial of ours that it
        // refused or that lost a race would otherwise leave it out of every table).
        var ourPort = await client.WaitUntilListeningAsync(TimeSpan.FromSeconds(30), ct);
        await qbittorrent.AddPeersAsync(torrent.InfoHash, [new System.Net.IPEndPoint(System.Net.IPAddress.Loopback, ourPort)], ct);
        var seen = new SortedSet<string>(StringComparer.Ordinal);
        await Eventually.UntilAsync(() =>
        {
            foreach (var line in client.Process.JsonLines())
            {
                if (line.TryGetProperty("event", out var kind) && kind.GetString() == "peers")
                {
                    foreach (var peer in line.GetProperty("peers").EnumerateArray())
                        seen.Add(peer.GetProperty("client").GetString() ?? "");
                }
            }
            return expected.All(seen.Contains) || expected.All(e => seen.Any(s => s.StartsWith(e.Split(' ')[0] + " ", StringComparison.Ordinal)));
        }, TimeSpan.FromSeconds(50), "a peer table with all four clients", client.Describe, cancellationToken: ct);

        TestContext.Out.WriteLine($"peer table names: {string.Join(", ", seen)} (after {clock.Elapsed.TotalSeconds:0.0} s)");
        Assert.That(seen, Is.SupersetOf(expected), "each real client named with its own version");
    }

    /// <summary>"2.0.8.0" → "2.0.8": a zero fourth part is not shown (as the table does).</summary>
    private static string TrimZeroPart(string version) =>
        version.Count(c => c == '.') == 3 && version.EndsWith(".0", StringComparison.Ordinal) ? version[..^2] : version;

    private static async Task<string> VersionAsync(string program, string[] args, string pattern, CancellationToken ct)
    {
        await using var process = ExternalProcess.Start(RequiredTool.Find(program) ?? program, args, name: program);
        await process.WaitForExitAsync(TimeSpan.FromSeconds(20), ct);
        var match = Regex.Match(process.StdoutTail + "\n" + process.StderrTail, pattern, RegexOptions.Multiline);
        Assert.That(match.Success, Is.True, $"{program} {string.Join(' ', args)} printed no version: {process.OutputTail}");
        return match.Groups[1].Value;
    }
}
