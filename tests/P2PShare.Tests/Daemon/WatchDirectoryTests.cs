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

    [Test]
    [CancelAfter(90_000)]
    public async Task A_file_that_cannot_be_opened_is_marked_invalid_and_the_files_after_it_are_added(CancellationToken ct)
    {
        // A write-only sysfs file refuses to be opened for reading even by root (EACCES: UnauthorizedAccessException),
        // which stands in for an unreadable file when the tests run as root (chmod would not stop root).
        var writeOnly = Directory.Exists("/sys/bus") ? Directory.EnumerateDirectories("/sys/bus").Select(d => Path.Combine(d, "uevent")).FirstOrDefault(File.Exists) : null;
        // Every Linux has /sys/bus/*/uevent: a missing one is a broken test bed, not a reason to skip.
        Assert.That(writeOnly, Is.Not.Null, "no /sys/bus/*/uevent here to stand in for an unreadable file");
        await using var temp = new TempDirectory("p2pshare-watch-denied-");
        var watch = temp.CreateSubdirectory("watch");
        var denied = Path.Combine(watch, "denied.torrent");
        File.CreateSymbolicLink(denied, writeOnly!);
        Assert.That(() => File.OpenRead(denied).Dispose(), Throws.TypeOf<UnauthorizedAccessException>(), $"{writeOnly} cannot be read");
        for (var i = 0; i < 3; i++)
            await File.WriteAllBytesAsync(Path.Combine(watch, $"good{i}.torrent"), SmallTorrent($"good{i}.bin"), ct);

        await using var daemon = await DaemonProcess.StartAsync(temp.Path, temp.Combine("config"), temp.Combine("data"), ct, extraArguments: ["--watch-dir", watch]);
        await Eventually.UntilAsync(() => File.Exists(denied + ".invalid") && Directory.GetFiles(watch, "good*.torrent.added").Length == 3, TimeSpan.FromSeconds(20),
            "the unreadable file renamed to .invalid and the good ones added", () => daemon.Describe(), cancellationToken: ct);
        Assert.That((await daemon.Rpc.TorrentsAsync(["id"], cancellationToken: ct)).Count, Is.EqualTo(3));
    }

    [Test]
    [CancelAfter(120_000)]
    public async Task Files_that_cannot_be_renamed_are_passed_over_so_the_scan_reaches_the_rest(CancellationToken ct)
    {
        // More files than one scan takes (50), none of which can be renamed (a directory holds each one's .added
        // name; rename(2) refuses to put a file over a directory, even for root). Taken again at every scan, the first
        // 50 would keep the rest out for good.
        const int Count = 60;
        await using var temp = new TempDirectory("p2pshare-watch-rename-");
        var watch = temp.CreateSubdirectory("watch");
        for (var i = 0; i < Count; i++)
        {
            var path = Path.Combine(watch, $"t{i:00}.torrent");
            await File.WriteAllBytesAsync(path, SmallTorrent($"t{i:00}.bin"), ct);
            Directory.CreateDirectory(path + ".added");
        }

        // Added stopped: sixty running torrents would only add load.
        var config = temp.CreateSubdirectory("config");
        await File.WriteAllTextAsync(Path.Combine(config, "settings.json"), """{ "StartAddedTorrents": false }""", ct);
        await using var daemon = await DaemonProcess.StartAsync(temp.Path, config, temp.Combine("data"), ct, extraArguments: ["--watch-dir", watch]);
        await Eventually.UntilAsync(async () => (await daemon.Rpc.TorrentsAsync(["id"], cancellationToken: ct)).Count == Count, TimeSpan.FromSeconds(40),
            $"all {Count} torrents added", () => daemon.Describe(), cancellationToken: ct);
    }
}
