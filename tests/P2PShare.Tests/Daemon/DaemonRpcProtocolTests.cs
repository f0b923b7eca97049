using System.Net;
using System.Text;
using System.Text.Json;
using P2PShare.Metainfo;
using P2PShare.Tests.Metainfo;
using P2PShare.Tests.Support;

namespace P2PShare.Tests.Daemon;

/// <summary>
/// The daemon as a process, spoken to over HTTP the way Transmission clients do: the session-id handshake, tags,
/// the protocol's error replies, bounded bodies, the Host check, the events stream; the queue and settings across a
/// restart. No third-party program is needed (torrents that never find a peer are enough).
/// </summary>
[TestFixture]
public sealed class DaemonRpcProtocolTests
{
    // No announce URL: these torrents never look for peers anywhere.
    private static byte[] SmallTorrent(string name, long length = 100_000) =>
        P2PShare.Bencode.BencodeEncoder.Encode(new P2PShare.Bencode.BDictionary { ["info"] = TorrentBuilder.SingleFileInfo(length, 16384, name) });

    [Test]
    [CancelAfter(60_000)]
    public async Task Handshake_tags_and_error_replies(CancellationToken ct)
    {
        await using var temp = new TempDirectory("p2pshare-daemon-rpc-");
        await using var daemon = await DaemonProcess.StartAsync(temp.Path, temp.Combine("config"), temp.Combine("data"), ct);
        var rpc = new DaemonRpcClient(daemon.RpcPort);

        var first = await rpc.SendRawAsync("""{"method":"session-get"}""", ct, handshake: false);
        Assert.That(first.Status, Is.EqualTo(HttpStatusCode.Conflict), "no session id: 409");
        Assert.That(first.Response.Headers.GetValues("X-Transmission-Session-Id").Single(), Has.Length.GreaterThan(16));

        var tagged = await rpc.SendAsync("session-get", cancellationToken: ct, tag: 7);
        Assert.That(tagged.Status, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(tagged.Result, Is.EqualTo("success"));
        Assert.That(tagged.Body!.Value.GetProperty("tag").GetInt32(), Is.EqualTo(7), "tag echoed");
        Assert.That(tagged.Arguments.GetProperty("peer-port").GetInt32(), Is.EqualTo(daemon.PeerPort));
        Assert.That(tagged.Arguments.GetProperty("rpc-version").GetInt32(), Is.GreaterThanOrEqualTo(15));

        var unknown = await rpc.SendAsync("no-such-method", cancellationToken: ct, tag: 9);
        Assert.That(unknown.Result, Is.EqualTo("method name not recognized"));
        Assert.That(unknown.Body!.Value.GetProperty("tag").GetInt32(), Is.EqualTo(9), "tag echoed on errors too");
        Assert.That((await rpc.SendRawAsync("""{"arguments":{}}""", ct)).Result, Is.EqualTo("no method name"));
        Assert.That((await rpc.SendRawAsync("{not json", ct)).Status, Is.EqualTo(HttpStatusCode.BadRequest));
        Assert.That((await rpc.SendRawAsync("[1,2,3]", ct)).Result, Is.EqualTo("no method name"));
        Assert.That((await rpc.SendAsync("torrent-get", new { }, ct)).Result, Is.EqualTo("no fields specified"));
        Assert.That((await rpc.SendAsync("torrent-add", new { metainfo = "!!!" }, ct)).Result, Does.StartWith("invalid or corrupt torrent file"));
        Assert.That((await rpc.SendAsync("torrent-add", new { metainfo = Convert.ToBase64String(Encoding.ASCII.GetBytes("d4:infoi3ee")) }, ct)).Result,
            Does.StartWith("invalid or corrupt torrent file"));
        Assert.That((await rpc.SendAsync("torrent-add", new { filename = "relative/x.torrent" }, ct)).Result, Does.Contain("absolute path"));
        // A device that reports 0 bytes and never ends is read only up to the bound.
        Assert.That((await rpc.SendAsync("torrent-add", new { filename = "/dev/zero" }, ct)).Result, Does.Contain("can be read from /dev/zero: not a torrent file"));
        Assert.That((await rpc.SendAsync("session-set", new Dictionary<string, object> { ["seedRatioLimit"] = -1 }, ct)).Result,
            Is.EqualTo("seedRatioLimit must not be negative"));
        Assert.That((await rpc.SendAsync("torrent-set", new { ids = new[] { 1 }, peer_limit = 1 }, ct)).Result, Is.EqualTo("success"), "unknown arguments and ids are ignored");
        Assert.That((await rpc.SendAsync("free-space", new { path = temp.Path }, ct)).Arguments.GetProperty("size-bytes").GetInt64(), Is.GreaterThan(0));

        // A body announced beyond the 16 MiB bound is refused before any of it is read.
        var sessionId = tagged.Response.Headers.GetValues("X-Transmission-Session-Id").Single();
        Assert.That(await StatusOfHeadersOnlyAsync(daemon.RpcPort, sessionId, contentLength: 17 * 1024 * 1024, ct), Does.StartWith("HTTP/1.1 413"));

        var foreign = await rpc.SendRawAsync("""{"method":"session-get"}""", ct, host: "evil.example.com");
        Assert.That(foreign.Status, Is.EqualTo(HttpStatusCode.MisdirectedRequest), "a foreign Host header is refused");

        var index = await LoopbackHttp.Client.GetStringAsync($"http://127.0.0.1:{daemon.RpcPort}/", ct);
        Assert.That(index, Does.Contain("<html"));

        // Add one torrent (paused): the events stream lists it.
        var added = await rpc.CallAsync("torrent-add", new { metainfo = Convert.ToBase64String(SmallTorrent("events.bin")), paused = true }, ct);
        var id = added.GetProperty("torrent-added").GetProperty("id").GetInt32();
        var duplicate = await rpc.CallAsync("torrent-add", new { metainfo = Convert.ToBase64String(SmallTorrent("events.bin")) }, ct);
        Assert.That(duplicate.GetProperty("torrent-duplicate").GetProperty("id").GetInt32(), Is.EqualTo(id));
        using var events = await LoopbackHttp.Client.GetAsync($"http://127.0.0.1:{daemon.RpcPort}/api/events", HttpCompletionOption.ResponseHeadersRead, ct);
        Assert.That(events.Content.Headers.ContentType?.MediaType, Is.EqualTo("text/event-stream"));
        using var reader = new StreamReader(await events.Content.ReadAsStreamAsync(ct));
        var line = await reader.ReadLineAsync(ct);
        TestContext.Out.WriteLine(line);
        Assert.That(line, Does.StartWith("data: "));
        var snapshot = JsonDocument.Parse(line!["data: ".Length..]).RootElement;
        Assert.That(snapshot.GetProperty("torrents")[0].GetProperty("id").GetInt32(), Is.EqualTo(id));
        Assert.That(snapshot.GetProperty("torrents")[0].GetProperty("status").GetInt32(), Is.EqualTo(0), "added paused: stopped");
    }

    [Test]
    [CancelAfter(60_000)]
    public async Task A_method_name_that_is_no_text_is_a_bad_request(CancellationToken ct)
    {
        // Valid UTF-8 and valid JSON, but the escape names a lone surrogate: no string can be read from it.
        await using var temp = new TempDirectory("p2pshare-daemon-rpc-");
        await using var daemon = await DaemonProcess.StartAsync(temp.Path, temp.Combine("config"), temp.Combine("data"), ct);
        var reply = await daemon.Rpc.SendRawAsync("""{"method":"\ud800","tag":3}""", ct);
        Assert.That(reply.Status, Is.EqualTo(HttpStatusCode.BadRequest), reply.Body?.GetRawText());
        Assert.That(reply.Result, Does.StartWith("request is not valid"));
        Assert.That((await daemon.Rpc.SendAsync("session-get", cancellationToken: ct)).Result, Is.EqualTo("success"), "the next request is answered");
    }

    [Test]
    [CancelAfter(60_000)]
    public async Task Queue_limits_settings_and_ids_survive_a_restart(CancellationToken ct)
    {
        await using var temp = new TempDirectory("p2pshare-daemon-queue-");
        var config = temp.Combine("config");
        var data = temp.Combine("data");
        int[] ids;
        await using (var daemon = await DaemonProcess.StartAsync(temp.Path, config, data, ct))
        {
            await daemon.Rpc.CallAsync("session-set", new Dictionary<string, object> { ["download-queue-size"] = 1, ["download-queue-enabled"] = true, ["speed-limit-down"] = 77 }, ct);
            ids = new int[3];
            for (var i = 0; i < 3; i++)
            {
                var added = await daemon.Rpc.CallAsync("torrent-add", new { metainfo = Convert.ToBase64String(SmallTorrent($"q{i}.bin")) }, ct);
                ids[i] = added.GetProperty("torrent-added").GetProperty("id").GetInt32();
            }
            await daemon.Rpc.CallAsync("torrent-stop", new { ids = new[] { ids[2] } }, ct);
            var statuses = await Statuses(daemon, ct);
            Assert.That(statuses, Is.EqualTo(new Dictionary<int, int> { [ids[0]] = 4, [ids[1]] = 3, [ids[2]] = 0 }), "one downloads, one waits in queue, one stopped");
            Assert.That(await daemon.StopAsync(TimeSpan.FromSeconds(20), ct), Is.EqualTo(0), "SIGTERM: clean exit");
        }

        await using (var daemon = await DaemonProcess.StartAsync(temp.Path, config, data, ct, name: "daemon-2"))
        {
            var session = await daemon.Rpc.CallAsync("session-get", cancellationToken: ct);
            Assert.That(session.GetProperty("download-queue-size").GetInt32(), Is.EqualTo(1));
            Assert.That(session.GetProperty("speed-limit-down").GetInt32(), Is.EqualTo(77));
            var statuses = await Statuses(daemon, ct);
            Assert.That(statuses, Is.EqualTo(new Dictionary<int, int> { [ids[0]] = 4, [ids[1]] = 3, [ids[2]] = 0 }), "same ids and states after the restart");

            // Stopping the running one lets the queued one start.
            await daemon.Rpc.CallAsync("torrent-stop", new { ids = new[] { ids[0] } }, ct);
            await Eventually.UntilAsync(async () => (await Statuses(daemon, ct))[ids[1]] == 4, TimeSpan.FromSeconds(5), "the queued torrent to start", cancellationToken: ct);
            var added = await daemon.Rpc.CallAsync("torrent-add", new { metainfo = Convert.ToBase64String(SmallTorrent("q3.bin")) }, ct);
            Assert.That(added.GetProperty("torrent-added").GetProperty("id").GetInt32(), Is.GreaterThan(ids.Max()), "ids are not reused");
        }
    }

    [Test]
    [CancelAfter(90_000)]
    public async Task Torrent_get_of_a_thousand_torrents_is_fast(CancellationToken ct)
    {
        const int Count = 1000;
        await using var temp = new TempDirectory("p2pshare-daemon-1000-");
        var config = temp.Combine("config");
        var catalog = new P2PShare.Cli.Daemon.TorrentCatalog(config);
        var entries = new List<P2PShare.Cli.Daemon.CatalogEntry>();
        for (var i = 1; i <= Count; i++)
        {
            var bytes = SmallTorrent($"t{i}.bin", 1_000_000 + i);
            var hash = TorrentParser.Parse(bytes).InfoHash.Hex;
            await File.WriteAllBytesAsync(catalog.TorrentFilePath(hash), bytes, ct);
            entries.Add(new P2PShare.Cli.Daemon.CatalogEntry { Id = i, InfoHash = hash, DownloadDir = temp.Combine("data"), Stopped = i % 2 == 0, QueuePosition = i });
        }
        await catalog.SaveAsync(entries, ct);

        var started = System.Diagnostics.Stopwatch.StartNew();
        // Half of them want to run: the queue (5 downloads by default) holds the rest back.
        await using var daemon = await DaemonProcess.StartAsync(temp.Path, config, temp.Combine("data"), ct);
        TestContext.Out.WriteLine($"daemon up with {Count} torrents restored in {started.ElapsedMilliseconds} ms");

        string[] listFields = ["error", "errorString", "eta", "id", "isFinished", "leftUntilDone", "name", "peersGettingFromUs", "peersSendingToUs",
            "rateDownload", "rateUpload", "sizeWhenDone", "status", "uploadRatio"];
        var timings = new List<double>();
        var serverTimings = new List<double>();
        for (var i = 0; i < 23; i++)
        {
            var watch = System.Diagnostics.Stopwatch.StartNew();
            var reply = await daemon.Rpc.SendAsync("torrent-get", new { fields = listFields }, ct);
            watch.Stop();
            Assert.That(reply.Arguments.GetProperty("torrents").GetArrayLength(), Is.EqualTo(Count));
            if (i < 3)
                continue;
            timings.Add(watch.Elapsed.TotalMilliseconds);
            var serverTiming = reply.Response.Headers.GetValues("Server-Timing").Single();
            serverTimings.Add(double.Parse(serverTiming[(serverTiming.IndexOf("dur=", StringComparison.Ordinal) + 4)..], System.Globalization.CultureInfo.InvariantCulture));
        }
        timings.Sort();
        serverTimings.Sort();
        var median = serverTimings[serverTimings.Count / 2];
        TestContext.Out.WriteLine($"torrent-get of {Count} torrents (the fields of transmission-remote -l): in the daemon median {median:0.0} ms " +
            $"(min {serverTimings[0]:0.0}, max {serverTimings[^1]:0.0}); round trip over HTTP with parsing median {timings[timings.Count / 2]:0.0} ms " +
            $"(min {timings[0]:0.0}, max {timings[^1]:0.0}); load average {File.ReadAllText("/proc/loadavg").Split(' ')[0]}");
        var statuses = (await daemon.Rpc.TorrentsAsync(["status"], cancellationToken: ct)).GroupBy(t => t.GetProperty("status").GetInt32()).ToDictionary(g => g.Key, g => g.Count());
        TestContext.Out.WriteLine("statuses: " + string.Join(", ", statuses.Select(p => $"{p.Key}: {p.Value}")));
        Assert.Multiple(() =>
        {
            Assert.That(median, Is.LessThan(100), "under 100 ms (the daemon's time; the round trip is printed)");
            Assert.That(statuses.GetValueOrDefault(0), Is.EqualTo(Count / 2), "the stopped half");
            Assert.That(statuses.GetValueOrDefault(4), Is.EqualTo(5), "five downloads (the default queue)");
            Assert.That(statuses.GetValueOrDefault(3), Is.EqualTo(Count / 2 - 5), "the rest wait in the queue");
        });
    }

    /// <summary>Sends only the request headers (with a Content-Length) and returns the status line of the answer.</summary>
    private static async Task<string> StatusOfHeadersOnlyAsync(int port, string sessionId, long contentLength, CancellationToken ct)
    {
        using var tcp = new System.Net.Sockets.TcpClient();
        await tcp.ConnectAsync(IPAddress.Loopback, port, ct);
        var stream = tcp.GetStream();
        var head = $"POST /transmission/rpc HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nX-Transmission-Session-Id: {sessionId}\r\nContent-Length: {contentLength}\r\n\r\n";
        await stream.WriteAsync(Encoding.ASCII.GetBytes(head), ct);
        using var reader = new StreamReader(stream, Encoding.ASCII);
        return await reader.ReadLineAsync(ct) ?? "";
    }

    private static async Task<Dictionary<int, int>> Statuses(DaemonProcess daemon, CancellationToken ct)
    {
        var torrents = await daemon.Rpc.TorrentsAsync(["id", "status", "errorString"], cancellationToken: ct);
        TestContext.Out.WriteLine("id:status " + string.Join(", ", torrents.Select(t => $"{t.GetProperty("id")}:{t.GetProperty("status")} {t.GetProperty("errorString")}")));
        // A started torrent checks its data first (2) before it downloads (4): both count as active here.
        return torrents.ToDictionary(t => t.GetProperty("id").GetInt32(), t => t.GetProperty("status").GetInt32() is 2 ? 4 : t.GetProperty("status").GetInt32());
    }
}
