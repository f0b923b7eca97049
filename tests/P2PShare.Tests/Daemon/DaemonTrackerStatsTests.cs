using P2PShare.Bencode;
using P2PShare.Metainfo;
using P2PShare.Tests.Metainfo;
using P2PShare.Tests.Support;

namespace P2PShare.Tests.Daemon;

/// <summary>
/// torrent-get's trackerStats reports what the running torrent's trackers did: a real opentracker reached over UDP
/// (through the daemon's one UDP port) answers, a dead HTTP tracker's error is shown; transmission-remote -it lists both.
/// </summary>
[TestFixture]
[Category("Interop")]
public sealed class DaemonTrackerStatsTests
{
    [Test]
    [CancelAfter(90_000)]
    public async Task Tracker_stats_show_each_trackers_last_answer(CancellationToken ct)
    {
        await using var temp = new TempDirectory("p2pshare-daemon-trackers-");
        var deadPort = FreePort.Get();
        var info = TorrentBuilder.SingleFileInfo(100_000, 16384, "trackers.bin");
        var infoHash = TorrentParser.ParseInfo(info).InfoHash.Hex;
        await using var tracker = await OpenTrackerInstance.StartAsync([infoHash], temp.Combine("tracker"), ct);
        var metainfo = BencodeEncoder.Encode(new BDictionary
        {
            ["announce-list"] = new BList
            {
                new BList { new BString(tracker.UdpAnnounceUrl) },
                new BList { new BString($"http://127.0.0.1:{deadPort}/announce") },
            },
            ["info"] = info,
        });
        await using var daemon = await DaemonProcess.StartAsync(temp.Path, temp.Combine("config"), temp.Combine("data"), ct);
        var rpc = new DaemonRpcClient(daemon.RpcPort);
        var added = await rpc.CallAsync("torrent-add", new { metainfo = Convert.ToBase64String(metainfo) }, ct);
        var id = added.GetProperty("torrent-added").GetProperty("id").GetInt32();

        System.Text.Json.JsonElement stats = default;
        await Eventually.UntilAsync(async () =>
        {
            var torrent = (await rpc.TorrentsAsync(["trackerStats"], cancellationToken: ct))[0];
            stats = torrent.GetProperty("trackerStats");
            return stats.GetArrayLength() == 2 && stats[0].GetProperty("hasAnnounced").GetBoolean() && stats[0].GetProperty("nextAnnounceTime").GetInt64() > 0;
        }, TimeSpan.FromSeconds(30), "the UDP tracker announced and the next announce is planned", () => stats.ToString(), cancellationToken: ct);

        var udp = stats[0];
        TestContext.Out.WriteLine(stats.ToString());
        Assert.That(udp.GetProperty("announce").GetString(), Is.EqualTo(tracker.UdpAnnounceUrl));
        Assert.That(udp.GetProperty("lastAnnounceSucceeded").GetBoolean(), Is.True);
        Assert.That(udp.GetProperty("lastAnnounceResult").GetString(), Is.EqualTo("Success"));
        Assert.That(udp.GetProperty("lastAnnounceTime").GetInt64(), Is.GreaterThan(DateTimeOffset.UtcNow.AddMinutes(-2).ToUnixTimeSeconds()));
        Assert.That(udp.GetProperty("nextAnnounceTime").GetInt64(), Is.GreaterThan(udp.GetProperty("lastAnnounceTime").GetInt64()));
        Assert.That(udp.GetProperty("tier").GetInt32(), Is.EqualTo(0));

        var output = await TransmissionRemote.RunOkAsync(daemon.RpcPort, "-t", id.ToString(System.Globalization.CultureInfo.InvariantCulture), "-it");
        Assert.That(output, Does.Contain($"udp://127.0.0.1:{tracker.Port}").And.Contain($"127.0.0.1:{deadPort}"));
    }
}
