using System.Net;
using System.Text.Json;
using P2PShare.Tests.Daemon;
using P2PShare.Tests.Support;

namespace P2PShare.Tests.Interop.Daemon;

/// <summary>
/// The daemon driven by Debian's transmission-remote, with libtorrent seeders supplying the data; results checked
/// through the RPC (the engine's state) and on disk. Then restarts: a clean one and a kill -9.
/// </summary>
[TestFixture]
[Category("Interop")]
public sealed class DaemonInteropTests
{
    private const int PieceLength = 64 * 1024;

    [Test]
    [CancelAfter(120_000)]
    public async Task Transmission_remote_adds_lists_stops_starts_verifies_and_removes(CancellationToken ct)
    {
        RequiredTool.Ensure("transmission-remote");
        await using var temp = new TempDirectory("p2pshare-daemon-tr-");
        var fileA = TestData.CreateFile(temp.Combine("seedA", "a.bin"), 2L << 20, seed: 181);
        var fileB = TestData.CreateFile(temp.Combine("seedB", "b.bin"), 1L << 20, seed: 182);
        var torrentA = await LibtorrentTorrent.CreateAsync(fileA, temp.Combine("a.torrent"), PieceLength, cancellationToken: ct);
        var torrentB = await LibtorrentTorrent.CreateAsync(fileB, temp.Combine("b.torrent"), PieceLength, cancellationToken: ct);
        var downloads = temp.CreateSubdirectory("downloads");
        await using var daemon = await DaemonProcess.StartAsync(temp.Path, temp.Combine("config"), temp.Combine("default-dir"), ct);
        var us = new IPEndPoint(IPAddress.Loopback, daemon.PeerPort);
        // Seeder A dials the daemon once A is added; seeder B is named in the magnet (x.pe).
        await using var seederA = await LibtorrentPeer.StartSeedAsync(torrentA.TorrentPath, temp.Combine("seedA"), o => o with { NoTrackers = true }, ct);
        await using var seederB = await LibtorrentPeer.StartSeedAsync(torrentB.TorrentPath, temp.Combine("seedB"), o => o with { NoTrackers = true }, ct);
        var port = daemon.RpcPort;

        Assert.That(await TransmissionRemote.RunOkAsync(port, "-a", torrentA.TorrentPath, "-w", downloads), Does.Contain("success"));
        await seederA.ConnectPeerAsync(us, ct);
        var magnet = $"magnet:?xt=urn:btih:{torrentB.InfoHash}&dn=b.bin&x.pe=127.0.0.1:{seederB.Port}";
        Assert.That(await TransmissionRemote.RunOkAsync(port, "-a", magnet, "-w", downloads), Does.Contain("success"));

        var ids = await Eventually.ValueAsync(() => IdsByHashAsync(daemon, ct), d => d.Count == 2, TimeSpan.FromSeconds(5), "both torrents listed", cancellationToken: ct);
        var a = ids[torrentA.InfoHash];
        var b = ids[torrentB.InfoHash];
        await Eventually.UntilAsync(async () => (await daemon.Rpc.TorrentsAsync(["percentDone"], cancellationToken: ct)).All(t => t.GetProperty("percentDone").GetDouble() >= 1),
            TimeSpan.FromSeconds(45), "both torrents complete", daemon.Describe, cancellationToken: ct);
        Assert.That(TestData.Sha256File(Path.Combine(downloads, "a.bin")), Is.EqualTo(TestData.Sha256File(fileA)));
        Assert.That(TestData.Sha256File(Path.Combine(downloads, "b.bin")), Is.EqualTo(TestData.Sha256File(fileB)));

        var list = await TransmissionRemote.RunOkAsync(port, "-l");
        Assert.That(list, Does.Contain("a.bin").And.Contain("b.bin"));
        Assert.That(list.Split('\n').Count(l => l.Contains("100%", StringComparison.Ordinal)), Is.EqualTo(2), "both 100% in -l");
        var info = await TransmissionRemote.RunOkAsync(port, "-t", a.ToString(), "-i");
        Assert.That(info, Does.Contain($"Hash: {torrentA.InfoHash}").And.Contain("Name: a.bin").And.Contain("Percent Done: 100%").And.Contain($"Location: {downloads}"));

        await TransmissionRemote.RunOkAsync(port, "-t", a.ToString(), "--stop");
        Assert.That(await StatusAsync(daemon, a, ct), Is.EqualTo(0), "stopped");
        Assert.That(await TransmissionRemote.RunOkAsync(port, "-l"), Does.Match(@"Stopped\s+a\.bin"));
        await TransmissionRemote.RunOkAsync(port, "-t", a.ToString(), "--start");
        await Eventually.UntilAsync(async () => await StatusAsync(daemon, a, ct) == 6, TimeSpan.FromSeconds(10), "A seeding again after --start", cancellationToken: ct);

        await TransmissionRemote.RunOkAsync(port, "-t", a.ToString(), "--verify");
        await Eventually.UntilAsync(async () => await StatusAsync(daemon, a, ct) == 6, TimeSpan.FromSeconds(20), "A seeding after the check", cancellationToken: ct);
        var haveValid = (await daemon.Rpc.TorrentsAsync(["haveValid"], a, ct))[0].GetProperty("haveValid").GetInt64();
        Assert.That(haveValid, Is.EqualTo(2L << 20), "every piece verified again");

        // Files unwanted (-G) and wanted again (-g): the engine's per-file selection; a complete file that is skipped stays on disk.
        await TransmissionRemote.RunOkAsync(port, "-t", a.ToString(), "-G", "0");
        Assert.That(WantedFlag((await daemon.Rpc.TorrentsAsync(["wanted"], a, ct))[0]), Is.False, "file 0 of A unwanted");
        Assert.That(await TransmissionRemote.RunOkAsync(port, "-t", a.ToString(), "-f"), Does.Match(@"0:\s+100%\s+\S+\s+No"), "transmission-remote -f shows Get: No");
        Assert.That(TestData.Sha256File(Path.Combine(downloads, "a.bin")), Is.EqualTo(TestData.Sha256File(fileA)), "the skipped file's data is kept");
        await TransmissionRemote.RunOkAsync(port, "-t", a.ToString(), "-g", "0");
        Assert.That(WantedFlag((await daemon.Rpc.TorrentsAsync(["wanted"], a, ct))[0]), Is.True, "file 0 of A wanted again");
        await Eventually.UntilAsync(async () => await StatusAsync(daemon, a, ct) == 6, TimeSpan.FromSeconds(10), "A seeding with its file wanted again", cancellationToken: ct);

        await TransmissionRemote.RunOkAsync(port, "-t", b.ToString(), "--remove-and-delete");
        await Eventually.UntilAsync(() => !File.Exists(Path.Combine(downloads, "b.bin")), TimeSpan.FromSeconds(5), "b.bin deleted", cancellationToken: ct);
        var remaining = await daemon.Rpc.TorrentsAsync(["id"], cancellationToken: ct);
        Assert.That(remaining.Select(t => t.GetProperty("id").GetInt32()), Is.EqualTo(new[] { a }));
        Assert.That(File.Exists(Path.Combine(downloads, "a.bin")), Is.True, "the other torrent's data stays");
        Assert.That(Directory.GetFiles(Path.Combine(daemon.ConfigDirectory, "resume"), torrentB.InfoHash + "*"), Is.Empty, "B's resume data and metadata gone");
        Assert.That(await TransmissionRemote.RunOkAsync(port, "-l"), Does.Not.Contain("b.bin"));
    }

    [Test]
    [CancelAfter(150_000)]
    public async Task Restart_keeps_torrents_and_states_and_kill_9_loses_nothing_verified(CancellationToken ct)
    {
        const long Size = 4L << 20;
        await using var temp = new TempDirectory("p2pshare-daemon-restart-");
        var fileA = TestData.CreateFile(temp.Combine("seedA", "a.bin"), Size, seed: 191);
        var fileB = TestData.CreateFile(temp.Combine("seedB", "b.bin"), 256 * 1024, seed: 192);
        var torrentA = await LibtorrentTorrent.CreateAsync(fileA, temp.Combine("a.torrent"), PieceLength, cancellationToken: ct);
        var torrentB = await LibtorrentTorrent.CreateAsync(fileB, temp.Combine("b.torrent"), PieceLength, cancellationToken: ct);
        var config = temp.Combine("config");
        var downloads = temp.CreateSubdirectory("downloads");
        // Throttled, so that the download is observably mid-way when the daemon is killed.
        await using var seeder = await LibtorrentPeer.StartSeedAsync(torrentA.TorrentPath, temp.Combine("seedA"), o => o with { NoTrackers = true, UploadLimit = 300_000 }, ct);

        int a, b;
        long verifiedBeforeKill;
        await using (var daemon = await DaemonProcess.StartAsync(temp.Path, config, downloads, ct))
        {
            a = await AddAsync(daemon, torrentA.TorrentPath, paused: false, ct);
            b = await AddAsync(daemon, torrentB.TorrentPath, paused: true, ct);
            await seeder.ConnectPeerAsync(daemon.PeerPort, ct);
            verifiedBeforeKill = await Eventually.ValueAsync(async () => (await daemon.Rpc.TorrentsAsync(["haveValid"], a, ct))[0].GetProperty("haveValid").GetInt64(),
                v => v >= Size / 3, TimeSpan.FromSeconds(40), "a third of A verified", daemon.Describe, cancellationToken: ct);
            // The seeder stops sending: what the restarted daemon has is what it verified before the kill, not new data.
            await seeder.SetUploadLimitAsync(1, ct);
            daemon.Process.Signal(9);
            await daemon.Process.WaitForExitAsync(TimeSpan.FromSeconds(10), ct);
        }
        TestContext.Out.WriteLine($"killed -9 with {verifiedBeforeKill} of {Size} bytes of A verified");

        long verifiedAfterKill;
        await using (var daemon = await DaemonProcess.StartAsync(temp.Path, config, downloads, ct, name: "daemon-after-kill"))
        {
            var after = await Eventually.ValueAsync(() => TorrentsByIdAsync(daemon, ct), t => t.Count == 2 && t[a].GetProperty("status").GetInt32() is not (1 or 2),
                TimeSpan.FromSeconds(30), "both torrents back, A past its check", cancellationToken: ct);
            var verifiedAfter = verifiedAfterKill = after[a].GetProperty("haveValid").GetInt64();
            TestContext.Out.WriteLine($"after the restart: {verifiedAfter} bytes of A verified (before the kill: {verifiedBeforeKill})");
            Assert.Multiple(() =>
            {
                Assert.That(verifiedAfter, Is.GreaterThanOrEqualTo(verifiedBeforeKill), "nothing verified is lost");
                Assert.That(verifiedAfter, Is.LessThan(Size), "still mid-way (the seeder sends nothing)");
                Assert.That(after[a].GetProperty("status").GetInt32(), Is.EqualTo(4), "A downloads again");
                Assert.That(after[b].GetProperty("status").GetInt32(), Is.EqualTo(0), "B stays stopped");
                Assert.That(after[a].GetProperty("downloadDir").GetString(), Is.EqualTo(downloads));
            });
            await seeder.SetUploadLimitAsync(0, ct);
            await seeder.ConnectPeerAsync(daemon.PeerPort, ct);
            await Eventually.UntilAsync(async () => (await TorrentsByIdAsync(daemon, ct))[a].GetProperty("percentDone").GetDouble() >= 1, TimeSpan.FromSeconds(40),
                "A complete", daemon.Describe, cancellationToken: ct);
            Assert.That(TestData.Sha256File(Path.Combine(downloads, "a.bin")), Is.EqualTo(TestData.Sha256File(fileA)));
            Assert.That(await daemon.StopAsync(TimeSpan.FromSeconds(20), ct), Is.EqualTo(0), "SIGTERM: clean exit");
        }

        await using (var daemon = await DaemonProcess.StartAsync(temp.Path, config, downloads, ct, name: "daemon-after-term"))
        {
            var torrents = await TorrentsByIdAsync(daemon, ct);
            Assert.Multiple(() =>
            {
                Assert.That(torrents.Keys, Is.EquivalentTo(new[] { a, b }), "same ids");
                Assert.That(torrents[a].GetProperty("percentDone").GetDouble(), Is.EqualTo(1), "complete, not fetched again");
                Assert.That(torrents[a].GetProperty("status").GetInt32(), Is.EqualTo(6), "seeding");
                Assert.That(torrents[b].GetProperty("status").GetInt32(), Is.EqualTo(0), "still stopped");
                // What the restarted daemon still lacked (a piece in flight may have verified after the sample before the kill).
                Assert.That(torrents[a].GetProperty("downloadedEver").GetInt64(), Is.GreaterThanOrEqualTo(Size - verifiedAfterKill), "totals kept");
            });
        }
    }

    private static async Task<int> AddAsync(DaemonProcess daemon, string torrentPath, bool paused, CancellationToken ct)
    {
        var added = await daemon.Rpc.CallAsync("torrent-add", new { metainfo = Convert.ToBase64String(await File.ReadAllBytesAsync(torrentPath, ct)), paused }, ct);
        return added.GetProperty("torrent-added").GetProperty("id").GetInt32();
    }

    private static async Task<int> StatusAsync(DaemonProcess daemon, int id, CancellationToken ct) =>
        (await daemon.Rpc.TorrentsAsync(["status"], id, ct))[0].GetProperty("status").GetInt32();

    private static async Task<Dictionary<string, int>> IdsByHashAsync(DaemonProcess daemon, CancellationToken ct) =>
        (await daemon.Rpc.TorrentsAsync(["id", "hashString"], cancellationToken: ct)).ToDictionary(t => t.GetProperty("hashString").GetString()!, t => t.GetProperty("id").GetInt32());

    private static async Task<Dictionary<int, JsonElement>> TorrentsByIdAsync(DaemonProcess daemon, CancellationToken ct) =>
        (await daemon.Rpc.TorrentsAsync(["id", "status", "haveValid", "percentDone", "downloadDir", "downloadedEver"], cancellationToken: ct))
            .ToDictionary(t => t.GetProperty("id").GetInt32(), t => t);

    /// <summary>Transmission sends wanted flags as 1/0 (older) or true/false.</summary>
    private static bool WantedFlag(System.Text.Json.JsonElement torrent)
    {
        var flag = torrent.GetProperty("wanted")[0];
        return flag.ValueKind == System.Text.Json.JsonValueKind.Number ? flag.GetInt32() != 0 : flag.GetBoolean();
    }
}
