using System.Diagnostics;
using System.Globalization;
using System.Net;
using P2PShare.Tests.Interop.Download;
using P2PShare.Tests.Support;

namespace P2PShare.Tests.Interop.Seeding;

/// <summary>
/// --max-download-rate and --max-upload-rate against a real libtorrent peer. The checks are lower bounds on
/// duration (a loaded machine can only make a transfer slower, never make these pass falsely) and that the
/// client's CPU stays mostly idle while it waits for its token bucket.
/// </summary>
[TestFixture]
[Category("Interop")]
[CancelAfter(90_000)]
public sealed class RateLimitTests
{
    private const int SizeBytes = 6 * 1024 * 1024;
    private const int LimitKiB = 1024;

    [Test]
    public async Task A_download_limit_slows_the_transfer_and_the_client_waits_without_spinning(CancellationToken cancellationToken)
    {
        RequiredTool.EnsureLibtorrent();
        await using var temp = new TempDirectory("p2pshare-ratelimit-down-");
        var source = TestData.CreateFile(temp.Combine("seed", "limited.bin"), SizeBytes, seed: 31);
        var torrent = await P2PShareClient.CreateTorrentAsync(source, temp.Combine("limited.torrent"), pieceSizeKiB: 64, cancellationToken: cancellationToken);
        await using var seeder = await LibtorrentPeer.StartSeedAsync(torrent.TorrentPath, temp.Combine("seed"), o => o with { NoTrackers = true }, cancellationToken);

        var output = temp.CreateSubdirectory("out");
        var clock = Stopwatch.StartNew();
        await using var downloader = P2PShareClient.StartDownload(temp.Path, torrent.TorrentPath, output,
            "--peer", $"127.0.0.1:{seeder.Port}", "--no-seed", "--max-download-rate", LimitKiB.ToString(CultureInfo.InvariantCulture) + "K");
        var cpu = CpuWatcher.Follow(downloader.Pid, cancellationToken);
        await downloader.WaitForSuccessAsync(TimeSpan.FromSeconds(60), cancellationToken);
        var elapsed = clock.Elapsed;

        DownloadCheck.SameContent(source, output, downloader);
        var unlimitedSeconds = SizeBytes / (LimitKiB * 1024.0);
        Assert.That(elapsed.TotalSeconds, Is.GreaterThan(unlimitedSeconds * 0.8), "6 MiB at 1 MiB/s takes about 6 s");
        Assert.That((await cpu).TotalSeconds, Is.LessThan(elapsed.TotalSeconds * 0.5), "waiting for the bucket must not burn CPU");
    }

    [Test]
    public async Task An_upload_limit_slows_what_a_libtorrent_leecher_gets_from_our_seeder(CancellationToken cancellationToken)
    {
        RequiredTool.EnsureLibtorrent();
        await using var temp = new TempDirectory("p2pshare-ratelimit-up-");
        var source = TestData.CreateFile(temp.Combine("seed", "limited.bin"), SizeBytes, seed: 32);
        var torrent = await P2PShareClient.CreateTorrentAsync(source, temp.Combine("limited.torrent"), pieceSizeKiB: 64, cancellationToken: cancellationToken);
        await using var seeder = P2PShareClient.StartSeed(temp.Path, torrent.TorrentPath, temp.Combine("seed"),
            "--max-upload-rate", LimitKiB.ToString(CultureInfo.InvariantCulture) + "KiB");
        var port = await seeder.WaitUntilListeningAsync(TimeSpan.FromSeconds(30), cancellationToken);

        var clock = Stopwatch.StartNew();
        await using var leecher = await LibtorrentPeer.StartAsync(new LibtorrentPeerOptions(torrent.TorrentPath, temp.CreateSubdirectory("leech"))
        {
            Mode = LibtorrentMode.Leech,
            NoTrackers = true,
            ConnectTo = [new IPEndPoint(IPAddress.Loopback, port)],
        }, cancellationToken);
        await leecher.WaitUntilCompleteAsync(TimeSpan.FromSeconds(60), cancellationToken);
        var elapsed = clock.Elapsed;

        Assert.That(TestData.Sha256File(Path.Combine(temp.Path, "leech", "limited.bin")), Is.EqualTo(TestData.Sha256File(source)));
        Assert.That(elapsed.TotalSeconds, Is.GreaterThan(SizeBytes / (LimitKiB * 1024.0) * 0.8), () => seeder.Describe());
    }

    /// <summary>Follows a process's user+system CPU time from /proc until it exits.</summary>
    private static class CpuWatcher
    {
        public static async Task<TimeSpan> Follow(int pid, CancellationToken cancellationToken)
        {
            var last = TimeSpan.Zero;
            var ticksPerSecond = 100.0; // USER_HZ on Linux
            while (!cancellationToken.IsCancellationRequested)
            {
                string stat;
                try
                {
                    stat = await File.ReadAllTextAsync($"/proc/{pid}/stat", cancellationToken);
                }
                catch (IOException)
                {
                    return last;
                }
                // Fields after the command name (which may hold spaces) start after the last ')'.
                var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
                last = TimeSpan.FromSeconds((long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture)) / ticksPerSecond);
                await Task.Delay(100, cancellationToken);
            }
            return last;
        }
    }
}
