using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using P2PShare.Tests.Support;

namespace P2PShare.Tests.Interop.Engine;

/// <summary>
/// Issue 12's proof of the engine: one 'p2pshare download A B C' process runs three torrents at once on one listen
/// port, each torrent seeded by a different real client that knows only its own torrent, then seeds all three back.
/// libtorrent and qBittorrent are told to dial our port (their handshakes must be routed by info-hash to the right
/// torrent); aria2 cannot be told of a peer without a tracker, so we dial it (--peer).
/// </summary>
[TestFixture]
[Category("Interop")]
public sealed class MultiTorrentInteropTests
{
    private static readonly TimeSpan Phase = TimeSpan.FromSeconds(25);

    [Test]
    [CancelAfter(60_000)]
    public async Task One_process_downloads_three_torrents_from_three_different_clients_on_one_port(CancellationToken ct)
    {
        RequiredTool.EnsureLibtorrent();
        RequiredTool.Ensure("aria2c", "qbittorrent-nox");
        var clock = Stopwatch.StartNew();
        await using var temp = new TempDirectory("p2pshare-engine-3-");
        var names = new[] { "from-libtorrent.bin", "from-aria2.bin", "from-qbittorrent.bin" };
        var sizes = new long[] { (3 << 20) + 11, (2 << 20) + (1 << 19) - 5, (4 << 20) - 4099 };
        var originals = new string[3];
        var creations = new Task<P2PShareTorrent>[3];
        for (var i = 0; i < 3; i++)
        {
            originals[i] = TestData.CreateFile(temp.Combine($"seed{i}", names[i]), sizes[i], seed: 1200 + i);
            creations[i] = P2PShareClient.CreateTorrentAsync(originals[i], temp.Combine($"t{i}.torrent"), pieceSizeKiB: 64,
                workDirectory: temp.Path, cancellationToken: ct);
        }
        var torrents = await Task.WhenAll(creations);
        Assert.That(torrents.Select(t => t.InfoHash).Distinct().Count(), Is.EqualTo(3));

        // The three seeders start at once; each has only its own torrent.
        var ltTask = LibtorrentPeer.StartSeedAsync(torrents[0].TorrentPath, temp.Combine("seed0"),
            // Throttled to ~3 s so that its status lines (4 a second) catch the connection with its peer list.
            o => o with { NoTrackers = true, PeersInStatus = true, UploadLimit = 1_000_000 }, ct);
        var aria2Task = StartAria2SeederAsync(torrents[1].TorrentPath, temp.Combine("seed1"), ct);
        var qbTask = StartQbittorrentSeederAsync(torrents[2], temp.Combine("seed2"), temp.CreateSubdirectory("qb"), ct);
        await using var libtorrent = await ltTask;
        await using var aria2 = await aria2Task;
        await using var qbittorrent = await qbTask;
        TestContext.Progress.WriteLine($"seeders ready after {clock.Elapsed.TotalSeconds:0.0} s");

        var port = FreePort.Get();
        var output = temp.CreateSubdirectory("out");
        string[] args =
        [
            "download", torrents[0].TorrentPath, torrents[1].TorrentPath, torrents[2].TorrentPath, "-o", output,
            "--bind", "127.0.0.1", "--port", port.ToString(CultureInfo.InvariantCulture),
            "--peer", $"127.0.0.1:{aria2.Port}", "--give-up-after", "40",
        ];
        await using var client = P2PShareClient.Start(temp.Path, "download3", args);
        // Each torrent is routed on the port before it logs "listening on port": only then are the others told to dial.
        await Eventually.UntilAsync(() => CountListening(client.ReadLog(), port) == 3, Phase, "all three torrents to listen on the port",
            client.Describe, cancellationToken: ct);
        await libtorrent.ConnectPeerAsync(port, ct);
        await qbittorrent.AddPeersAsync(torrents[2].InfoHash, [new(System.Net.IPAddress.Loopback, port)], ct);

        await Eventually.UntilAsync(() => CountOccurrences(client.Process.StdoutTail, "Download complete and verified") == 3, Phase,
            "all three torrents to report 'Download complete and verified'", client.Describe, cancellationToken: ct);
        for (var i = 0; i < 3; i++)
        {
            Assert.That(SameFile(originals[i], Path.Combine(output, names[i])), Is.True, $"{names[i]} downloaded intact");
        }
        TestContext.Progress.WriteLine($"three downloads complete after {clock.Elapsed.TotalSeconds:0.0} s");

        // One listen port: the process listens on P and nothing else, and the status output names that port only.
        Assert.That(client.HasExited, Is.False, client.Describe);
        Assert.That(ProcessProbe.TcpListenPorts(client.Pid), Is.EquivalentTo(new[] { port }), "TCP listen ports of the process");
        Assert.That(ProcessProbe.UdpPorts(client.Pid), Does.Contain(port), "the UDP twin of the port");
        var stdout = client.Process.StdoutTail;
        Assert.That(stdout, Does.Contain($"3 torrents, listening on port {port}"), client.Describe);
        Assert.That(System.Text.RegularExpressions.Regex.Matches(stdout, @"listening on port (\d+)").Select(m => m.Groups[1].Value).Distinct(),
            Is.EqualTo(new[] { port.ToString(CultureInfo.InvariantCulture) }), "every torrent's status names the same port");
        // libtorrent's connection came in on P: it listed us under the port it dialled (seen in any status line so far:
        // once both sides are seeds the connection is dropped). Every seeder uploaded its torrent.
        Assert.That(libtorrent.Process.JsonLines().Any(line => PeerPorts(line).Contains(port)), Is.True,
            () => $"libtorrent never listed a peer at port {port}.{Environment.NewLine}{libtorrent.Process.Describe()}");
        await libtorrent.WaitUntilUploadedAsync(sizes[0], TimeSpan.FromSeconds(10), ct);
        await aria2.WaitForStatusAsync(s => s.UploadLength >= sizes[1], TimeSpan.FromSeconds(10), "aria2 to count its upload", ct);
        await qbittorrent.WaitForInfoAsync(torrents[2].InfoHash, i => i.Uploaded >= sizes[2], TimeSpan.FromSeconds(15),
            "qBittorrent to count its upload", ct);

        // Seeding back: a fresh libtorrent leecher per torrent, each dialling P only.
        var leechers = new List<LibtorrentPeer>();
        try
        {
            var starts = Enumerable.Range(0, 3).Select(i => LibtorrentPeer.StartAsync(
                new LibtorrentPeerOptions(torrents[i].TorrentPath, temp.CreateSubdirectory($"leech{i}"))
                {
                    Mode = LibtorrentMode.Leech,
                    NoTrackers = true,
                    ConnectTo = [new(System.Net.IPAddress.Loopback, port)],
                }, ct)).ToList();
            foreach (var start in starts)
            {
                leechers.Add(await start);
            }
            await Task.WhenAll(leechers.Select(l => l.WaitForExitAsync(Phase, ct)));
        }
        finally
        {
            foreach (var leecher in leechers)
            {
                await leecher.DisposeAsync();
            }
        }
        for (var i = 0; i < 3; i++)
        {
            Assert.That(SameFile(originals[i], temp.Combine($"leech{i}", names[i])), Is.True, $"leecher {i} got {names[i]} intact");
        }
        Assert.That(ProcessProbe.TcpListenPorts(client.Pid), Is.EquivalentTo(new[] { port }), "still one listen port after seeding");
        TestContext.Progress.WriteLine($"seeded back to three libtorrent leechers; whole test {clock.Elapsed.TotalSeconds:0.0} s");
    }

    private static async Task<Aria2Peer> StartAria2SeederAsync(string torrentPath, string directory, CancellationToken ct)
    {
        var peer = await Aria2Peer.StartAsync(new Aria2PeerOptions(torrentPath, directory) { Seed = true, NoTrackers = true }, ct);
        try
        {
            await peer.WaitForStatusAsync(s => s.IsComplete, Phase, "aria2c to verify its data and seed", ct);
            return peer;
        }
        catch
        {
            await peer.DisposeAsync();
            throw;
        }
    }

    private static async Task<QbittorrentPeer> StartQbittorrentSeederAsync(P2PShareTorrent torrent, string dataDirectory, string work, CancellationToken ct)
    {
        var peer = await QbittorrentPeer.StartAsync(work, ct);
        try
        {
            await peer.AddTorrentAsync(torrent.TorrentPath, dataDirectory, torrent.InfoHash, cancellationToken: ct);
            await peer.WaitForInfoAsync(torrent.InfoHash, i => i.IsComplete, Phase, "qBittorrent to verify its data and seed", ct);
            return peer;
        }
        catch
        {
            await peer.DisposeAsync();
            throw;
        }
    }

    private static int CountListening(string log, int port) =>
        log.Split('\n').Count(line => line.Contains("Torrent ", StringComparison.Ordinal) && line.Contains($"listening on port {port}", StringComparison.Ordinal));

    private static int CountOccurrences(string text, string what) =>
        text.Split('\n').Count(line => line.Contains(what, StringComparison.Ordinal));

    private static bool SameFile(string original, string copy) =>
        File.Exists(copy) && new FileInfo(copy).Length == new FileInfo(original).Length && TestData.Sha256File(copy) == TestData.Sha256File(original);

    private static IEnumerable<int> PeerPorts(JsonElement status) =>
        status.TryGetProperty("peers", out var peers) ? peers.EnumerateArray().Select(p => p.GetProperty("port").GetInt32()) : [];
}
