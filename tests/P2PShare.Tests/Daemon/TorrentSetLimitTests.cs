using P2PShare.Tests.Metainfo;
using P2PShare.Tests.Support;

namespace P2PShare.Tests.Daemon;

/// <summary>
/// torrent-set refuses a limit that would overflow bytes/s in the engine (KiB/s times 1024 in a long), before anything
/// changes: the torrent keeps its limits, saved and applied, and still starts.
/// </summary>
[TestFixture]
public sealed class TorrentSetLimitTests
{
    private static byte[] SmallTorrent(string name) =>
        P2PShare.Bencode.BencodeEncoder.Encode(new P2PShare.Bencode.BDictionary { ["info"] = TorrentBuilder.SingleFileInfo(100_000, 16384, name) });

    [Test]
    [CancelAfter(90_000)]
    public async Task A_limit_that_would_overflow_is_refused_and_nothing_changes(CancellationToken ct)
    {
        await using var temp = new TempDirectory("p2pshare-daemon-limits-");
        var config = temp.Combine("config");
        var data = temp.Combine("data");
        string[] fields = ["downloadLimit", "downloadLimited", "uploadLimit", "uploadLimited", "peer-limit"];
        int id;
        await using (var daemon = await DaemonProcess.StartAsync(temp.Path, config, data, ct))
        {
            var added = await daemon.Rpc.CallAsync("torrent-add", new { metainfo = Convert.ToBase64String(SmallTorrent("limits.bin")), paused = true }, ct);
            id = added.GetProperty("torrent-added").GetProperty("id").GetInt32();
            var before = (await daemon.Rpc.TorrentsAsync(fields, new[] { id }, ct)).Single().GetRawText();

            var down = await daemon.Rpc.SendAsync("torrent-set",
                new Dictionary<string, object> { ["ids"] = new[] { id }, ["downloadLimit"] = long.MaxValue, ["downloadLimited"] = true, ["peer-limit"] = 7 }, ct);
            var up = await daemon.Rpc.SendAsync("torrent-set",
                new Dictionary<string, object> { ["ids"] = new[] { id }, ["uploadLimit"] = long.MaxValue / 1024 + 1, ["uploadLimited"] = true }, ct);
            Assert.Multiple(() =>
            {
                Assert.That(down.Result, Is.EqualTo($"downloadLimit must be from 0 to {long.MaxValue / 1024}"));
                Assert.That(up.Result, Is.EqualTo($"uploadLimit must be from 0 to {long.MaxValue / 1024}"));
            });
            Assert.That((await daemon.Rpc.TorrentsAsync(fields, new[] { id }, ct)).Single().GetRawText(), Is.EqualTo(before), "nothing applied");
            Assert.That(await daemon.StopAsync(TimeSpan.FromSeconds(20), ct), Is.EqualTo(0));
        }

        // Nothing was saved either: after a restart the torrent starts (checks its data, then downloads) instead of failing.
        await using (var daemon = await DaemonProcess.StartAsync(temp.Path, config, data, ct, name: "daemon-2"))
        {
            var torrent = (await daemon.Rpc.TorrentsAsync(fields, new[] { id }, ct)).Single();
            Assert.That(torrent.GetProperty("downloadLimited").GetBoolean(), Is.False);
            await daemon.Rpc.CallAsync("torrent-start", new { ids = new[] { id } }, ct);
            await Eventually.UntilAsync(async () => (await daemon.Rpc.TorrentsAsync(["status"], new[] { id }, ct)).Single().GetProperty("status").GetInt32() is 2 or 4,
                TimeSpan.FromSeconds(20), "the torrent to start", () => daemon.Describe(), cancellationToken: ct);
        }
    }
}
