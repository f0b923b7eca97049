using System.Diagnostics;
using System.Globalization;
using P2PShare.Metainfo;
using P2PShare.Tests.Support;

namespace P2PShare.Tests.Interop.Engine;

/// <summary>
/// Issue 12: one 'p2pshare seed' process seeds 1,000 small torrents, and one libtorrent session downloads ten of
/// them from it. The torrents are made in-process with the TorrentCreator that 'p2pshare create' runs (1,000
/// process starts take minutes here; scripts/bench-engine uses the command itself); one of them is also made by
/// the command and must come out byte for byte the same. The start-up time (process start until every torrent is
/// registered on the port) and the private memory are written to the test output; scripts/bench-engine measures the
/// same for docs/benchmarks.md.
/// </summary>
[TestFixture]
[Category("Interop")]
public sealed class ThousandTorrentSeedTests
{
    private const int TorrentCount = 1000;
    private const int Leeched = 10;

    [Test]
    [CancelAfter(90_000)]
    public async Task Seeding_a_thousand_torrents_in_one_process(CancellationToken ct)
    {
        var python = RequiredTool.EnsureLibtorrent();
        await using var temp = new TempDirectory("p2pshare-engine-1k-");
        var data = temp.CreateSubdirectory("data");
        var torrentDirectory = temp.CreateSubdirectory("torrents");
        var made = Stopwatch.StartNew();
        var sizes = new Random(1000);
        var torrents = new string[TorrentCount];
        for (var i = 0; i < TorrentCount; i++)
        {
            var file = TestData.CreateFile(Path.Combine(data, $"f{i:D4}.bin"), sizes.Next(16 * 1024, 64 * 1024 + 1), seed: 5000 + i);
            torrents[i] = Path.Combine(torrentDirectory, $"f{i:D4}.torrent");
            var options = new TorrentCreationOptions();
            var plan = TorrentCreator.Plan(file, options, ct);
            // Written plainly: the command's WriteFileAsync fsyncs each file, which costs seconds for 1,000 here.
            await File.WriteAllBytesAsync(torrents[i], await TorrentCreator.CreateAsync(plan, options, null, ct, degreeOfParallelism: 1), ct);
        }
        var byCommand = await P2PShareClient.CreateTorrentAsync(Path.Combine(data, "f0000.bin"), temp.Combine("f0000-by-create.torrent"),
            workDirectory: temp.Path, cancellationToken: ct);
        Assert.That(File.ReadAllBytes(byCommand.TorrentPath), SameBytes.As(File.ReadAllBytes(torrents[0])), "'p2pshare create' makes the same torrent");
        TestContext.Out.WriteLine($"made {TorrentCount} files and torrents in {made.Elapsed.TotalSeconds:0.0} s");

        var port = FreePort.Get();
        var portText = port.ToString(CultureInfo.InvariantCulture);
        string[] args = ["seed", .. torrents, "--data", data, "--bind", "127.0.0.1", "--port", portText];
        var clock = Stopwatch.StartNew();
        await using var seeder = P2PShareClient.Start(temp.Path, "seed1000", args);
        long peakPrivate = 0;
        await Eventually.UntilAsync(() =>
        {
            if (!seeder.HasExited)
            {
                peakPrivate = Math.Max(peakPrivate, ProcessProbe.PrivateBytes(seeder.Pid));
            }
            Assert.That(seeder.HasExited, Is.False, seeder.Describe);
            return CountOccurrences(seeder.ReadLog(), $"listening on port {portText}") == TorrentCount;
        }, TimeSpan.FromSeconds(45), $"all {TorrentCount} torrents to be seeding on port {port}", seeder.Describe, TimeSpan.FromMilliseconds(50), ct);
        var startup = clock.Elapsed;
        var privateAtStart = ProcessProbe.PrivateBytes(seeder.Pid);
        TestContext.Out.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{TorrentCount} torrents seeding {startup.TotalSeconds:0.00} s after the process started; private memory (RssAnon) {privateAtStart / 1048576.0:0.0} MiB, peak while starting {peakPrivate / 1048576.0:0.0} MiB"));
        Assert.That(ProcessProbe.TcpListenPorts(seeder.Pid), Is.EquivalentTo(new[] { port }), "one listen port for all torrents");
        await Eventually.UntilAsync(() => seeder.Process.StdoutTail.Contains($"Total: {TorrentCount} torrents, {TorrentCount} seeding", StringComparison.Ordinal),
            TimeSpan.FromSeconds(15), "the status totals to count every torrent seeding", seeder.Describe, cancellationToken: ct);

        // One libtorrent session, ten of the torrents (spread over the list), each told to dial our port.
        var chosen = Enumerable.Range(0, Leeched).Select(i => i * (TorrentCount / Leeched) + 7).ToList();
        var leechDirectory = temp.CreateSubdirectory("leech");
        var leechArgs = new List<string> { SwarmScripts.Path("lt_multi_leech.py"), "--save-dir", leechDirectory, "--peer", $"127.0.0.1:{portText}", "--max-seconds", "40",
            // Plain handshakes: by default libtorrent tries MSE first, which we close (no MSE yet), and retries a tick later.
            "--encryption", "disabled" };
        foreach (var index in chosen)
        {
            leechArgs.AddRange(["--torrent", torrents[index]]);
        }
        var leechClock = Stopwatch.StartNew();
        await using var leecher = ExternalProcess.Start(python, leechArgs, name: "lt_multi_leech");
        var exit = await leecher.WaitForExitAsync(TimeSpan.FromSeconds(45), ct);
        Assert.That(exit, Is.EqualTo(0), () => $"{leecher.Describe()}{Environment.NewLine}{seeder.Describe()}");
        var leechTime = leechClock.Elapsed;
        foreach (var index in chosen)
        {
            var name = $"f{index:D4}.bin";
            Assert.That(TestData.Sha256File(Path.Combine(leechDirectory, name)), Is.EqualTo(TestData.Sha256File(Path.Combine(data, name))), name);
        }
        var privateAfter = ProcessProbe.PrivateBytes(seeder.Pid);
        TestContext.Out.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"libtorrent downloaded {Leeched} of them in {leechTime.TotalSeconds:0.00} s; seeder private memory after: {privateAfter / 1048576.0:0.0} MiB"));
        // Loose ceilings (measured: ~3 s and ~30 MiB on 2 busy cores): they catch a start-up or memory blow-up, not noise.
        Assert.That(startup, Is.LessThan(TimeSpan.FromSeconds(30)), "start-up of 1,000 torrents");
        Assert.That(privateAfter, Is.LessThan(256L << 20), "private memory with 1,000 torrents");
    }

    private static int CountOccurrences(string text, string what) =>
        text.Split('\n').Count(line => line.Contains(what, StringComparison.Ordinal));
}
