using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using P2PShare.Bencode;
using P2PShare.Tests.Cli;
using P2PShare.Tests.Metainfo;
using P2PShare.Tests.Support;

namespace P2PShare.Tests.Hardening;

/// <summary>Probe findings on 297d351 about stopping: a dead tracker delayed a --no-seed exit by 31-36 s; SIGHUP killed
/// the process without the clean stop; an output path that is a file gave exit 1 and a confusing message.</summary>
[TestFixture]
[NonParallelizable]
public sealed class StopAndExitTests
{
    /// <summary>A "tracker" that accepts connections and never answers (the worst kind of dead).</summary>
    private sealed class SilentTracker : IAsyncDisposable
    {
        private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
        private readonly List<TcpClient> _held = [];
        private readonly CancellationTokenSource _stop = new();
        private readonly Task _accepting;

        public SilentTracker()
        {
            _listener.Start();
            _accepting = AcceptAsync();
        }

        public string Url => $"http://127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}/announce";

        public int Connections { get; private set; }

        private async Task AcceptAsync()
        {
            try
            {
                while (true)
                {
                    var client = await _listener.AcceptTcpClientAsync(_stop.Token);
                    lock (_held)
                        _held.Add(client);
                    Connections++;
                }
            }
            catch (OperationCanceledException)
            {
            }
        }

        public async ValueTask DisposeAsync()
        {
            _stop.Cancel();
            _listener.Stop();
            await _accepting;
            lock (_held)
                _held.ForEach(c => c.Dispose());
        }
    }

    [Test, CancelAfter(90_000)]
    public async Task NoSeedExitIsQuickWithADeadTracker(CancellationToken ct)
    {
        await using var work = new TempDirectory();
        await using var tracker = new SilentTracker();
        var data = TestData.CreateFile(work.Combine("seed", "data.bin"), 1 << 20, seed: 25);
        var torrent = await P2PShareClient.CreateTorrentAsync(data, work.Combine("data.torrent"), [tracker.Url], pieceSizeKiB: 64, workDirectory: work.Path, cancellationToken: ct);
        await using var seeder = P2PShareClient.StartSeed(work.Path, torrent.TorrentPath, work.Combine("seed"));
        var seederPort = await seeder.WaitUntilListeningAsync(TimeSpan.FromSeconds(30), ct);

        var clock = Stopwatch.StartNew();
        await using var leecher = P2PShareClient.StartDownload(work.Path, torrent.TorrentPath, work.CreateSubdirectory("out"),
            "--peer", $"127.0.0.1:{seederPort}", "--no-seed", "--give-up-after", "60");
        await leecher.WaitForSuccessAsync(TimeSpan.FromSeconds(60), ct);
        var elapsed = clock.Elapsed;

        TestContext.Out.WriteLine($"1 MiB download with a silent tracker: exit 0 after {elapsed.TotalSeconds:F1} s ({tracker.Connections} tracker connections held)");
        Assert.That(TestData.Sha256File(work.Combine("out", "data.bin")), Is.EqualTo(TestData.Sha256File(data)));
        Assert.That(tracker.Connections, Is.GreaterThan(0), "the tracker was tried");
        Assert.That(elapsed, Is.LessThan(TimeSpan.FromSeconds(15)), "completed + stopped announces are bounded (3 s each)");
    }

    [Test, CancelAfter(60_000)]
    public async Task HangupStopsCleanlyLikeTerminate(CancellationToken ct)
    {
        await using var work = new TempDirectory();
        var info = TorrentBuilder.SingleFileInfo(length: 100_000, name: "hup.bin");
        var torrentPath = work.Combine("hup.torrent");
        File.WriteAllBytes(torrentPath, BencodeEncoder.Encode(new BDictionary { ["info"] = info })); // no tracker
        var output = work.CreateSubdirectory("out");
        await using var client = P2PShareClient.StartDownload(work.Path, torrentPath, output, "--give-up-after", "60");
        await client.WaitUntilListeningAsync(TimeSpan.FromSeconds(30), ct);

        if (client.Process.IgnoresSignal(1))
            Assert.Fail("SIGHUP is ignored by the test host's environment (inherited SIG_IGN, e.g. started by nohup), so a hangup cannot be tested here");
        client.Process.Hangup();
        var exit = await client.WaitForExitAsync(TimeSpan.FromSeconds(20), ct);

        var resume = Directory.Exists(Path.Combine(output, ".p2pshare")) ? Directory.GetFiles(Path.Combine(output, ".p2pshare"), "*.resume") : [];
        TestContext.Out.WriteLine($"SIGHUP: exit {exit}, resume files {resume.Length}");
        // Stopped before complete: the exit code says interrupted (3), as after SIGTERM or Ctrl+C.
        Assert.That(exit, Is.EqualTo(3), client.Describe());
        Assert.That(resume, Has.Length.EqualTo(1), "resume data saved by the clean stop");
    }

    [Test]
    public async Task AnOutputPathThatIsAFileIsBadInput()
    {
        await using var work = new TempDirectory();
        var torrentPath = work.Combine("t.torrent");
        File.WriteAllBytes(torrentPath, BencodeEncoder.Encode(new BDictionary { ["info"] = TorrentBuilder.SingleFileInfo() }));
        var notADirectory = work.Combine("existing-file");
        File.WriteAllText(notADirectory, "x");

        var result = await CliRunner.RunAsync(work.Path, "download", torrentPath, "-o", notADirectory, "--no-dht", "--port", "0");

        Assert.That(result.ExitCode, Is.EqualTo(2), result.Stderr);
        Assert.That(result.Stderr, Does.Contain("must be a directory"));
    }
}
