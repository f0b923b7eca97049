using P2PShare.Tests.Metainfo;
using P2PShare.Tests.Support;

namespace P2PShare.Tests.Daemon;

/// <summary>
/// The daemon's watch directory, with files it cannot use: none of them may stop it from taking the files after them
/// (the scan runs in the daemon's one loop, so a file that blocks it or throws past it stalls everything).
/// </summary>
[TestFixture]
public sealed class WatchDirectoryTests
{
    private static byte[] SmallTorrent(string name) =>
        P2PShare.Bencode.BencodeEncoder.Encode(new P2PShare.Bencode.BDictionary { ["info"] = TorrentBuilder.SingleFileInfo(100_000, 16384, name) });

    [Test]
    [CancelAfter(90_000)]
    public async Task A_fifo_blocks_neither_the_watch_directory_nor_torrent_add(CancellationToken ct)
    {
        await using var temp = new TempDirectory("p2pshare-watch-fifo-");
        var watch = temp.CreateSubdirectory("watch");
        var fifo = Path.Combine(watch, "pipe.torrent");
        var other = temp.Combine("other.torrent");
        await Fifo.CreateAsync(fifo, ct);
        await Fifo.CreateAsync(other, ct);
        // A daemon blocked on a FIFO is killed by PID on dispose, which ends the blocked open(2) with it.
        await using (var daemon = await DaemonProcess.StartAsync(temp.Path, temp.Combine("config"), temp.Combine("data"), ct, extraArguments: ["--watch-dir", watch]))
        {
            await Eventually.UntilAsync(() => File.Exists(fifo + ".invalid"), TimeSpan.FromSeconds(20), "the FIFO renamed to .invalid",
                () => daemon.Describe(), cancellationToken: ct);

            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
            timeout.CancelAfter(TimeSpan.FromSeconds(10));
            var reply = await daemon.Rpc.SendAsync("torrent-add", new { filename = other }, timeout.Token);
            Assert.That(reply.Result, Is.EqualTo($"{other}: not a regular file"));
            // The loop still runs: a torrent dropped after the FIFO is added.
            await File.WriteAllBytesAsync(Path.Combine(watch, "later.torrent"), SmallTorrent("later.bin"), ct);
            await Eventually.UntilAsync(async () => (await daemon.Rpc.TorrentsAsync(["id"], cancellationToken: ct)).Count == 1, TimeSpan.FromSeconds(20),
                "the later torrent to be added", () => daemon.Describe(), cancellationToken: ct);
        }
    }
}
