using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Microsoft.Extensions.Logging;
using P2PShare.Bencode;
using P2PShare.Engine;
using P2PShare.Hosting;
using P2PShare.Metainfo;
using P2PShare.Networking.Trackers;
using P2PShare.Tests.Support;

namespace P2PShare.Tests.Resilience;

/// <summary>
/// Issue 6: the first tracker tier is down (an HTTP tracker refusing connections and a UDP tracker that
/// never answers); the second tier is a real opentracker that knows a libtorrent seeder. The client must
/// fall over to the second tier and download from the peer it learns there (no --peer given).
/// </summary>
[TestFixture]
[Category("Interop")]
public sealed class TrackerFallOverTests
{
    private const long Size = 8L * 1024 * 1024;

    /// <summary>
    /// The CLI has no option for tracker timeouts, and with BEP 15's schedule (15 s · 2^n, n up to 8) a silent
    /// UDP tracker holds up the fall-over for hours. So this runs the client's engine (TorrentRunner, what
    /// 'p2pshare download' runs) in-process with short UDP timeouts.
    /// </summary>
    [Test]
    public async Task FirstTierRefusedHttpAndSilentUdp_FallsOverToSecondTier_Downloads()
    {
        using var silentUdp = new UdpClient(new IPEndPoint(IPAddress.Loopback, 0));
        var udpPort = ((IPEndPoint)silentUdp.Client.LocalEndPoint!).Port;
        var datagrams = 0;
        using var stopUdp = new CancellationTokenSource();
        var udpLoop = Task.Run(async () =>
        {
            while (!stopUdp.IsCancellationRequested)
            {
                try
                {
                    await silentUdp.ReceiveAsync(stopUdp.Token);
                    Interlocked.Increment(ref datagrams);
                }
                catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
                {
                    return;
                }
            }
        });
        var refusedHttp = $"http://127.0.0.1:{FreePort.Get()}/announce";
        var silent = $"udp://127.0.0.1:{udpPort}/announce";

        await using var swarm = await TrackedSwarm.StartAsync([refusedHttp, silent], seed: 81);
        var logs = new CapturingLoggerFactory();
        var observer = new RecordingObserver();
        var options = new TorrentRunOptions
        {
            TorrentPath = swarm.TorrentPath,
            DataDirectory = swarm.OutputDirectory,
            StateDirectory = swarm.Directory.Combine("state"),
            Port = 0,
            ListenAddress = IPAddress.Loopback,
            SeedAfterDownload = false,
            GiveUpWithoutPeers = TimeSpan.FromSeconds(60),
            Trackers = TrackerOptions.Default with
            {
                UdpBaseTimeout = TimeSpan.FromMilliseconds(500),
                UdpMaxRetransmissions = 1,
                HttpTimeout = TimeSpan.FromSeconds(5),
                RetryBaseDelay = TimeSpan.FromMilliseconds(200),
            },
        };
        var runner = new TorrentRunner(options, observer, logs, TimeProvider.System);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var clock = Stopwatch.StartNew();
        try
        {
            await runner.RunAsync(timeout.Token);
        }
        finally
        {
            await stopUdp.CancelAsync();
            await udpLoop;
        }
        var diagnostics = $"{logs}{Environment.NewLine}{observer}";
        Assert.That(timeout.IsCancellationRequested, Is.False, "the download did not finish within 60 s. " + diagnostics);
        Assert.That(observer.ToString(), Does.Contain("Download complete"), diagnostics);
        swarm.AssertDataMatches(diagnostics);
        Assert.That(Volatile.Read(ref datagrams), Is.GreaterThan(0), "the silent UDP tracker was never asked: the first tier was not tried. " + diagnostics);
        Assert.That(logs.ToString(), Does.Contain(refusedHttp), "the refused HTTP tracker was never tried. " + diagnostics);
        TestContext.Progress.WriteLine($"fall-over download took {clock.Elapsed.TotalSeconds:0.0} s; {datagrams} datagram(s) to the silent UDP tracker");
    }

    /// <summary>The real CLI with a first tier that refuses connections (no timeout involved).</summary>
    [Test]
    public async Task Cli_FirstTierRefused_FallsOverToSecondTier_Downloads()
    {
        var refusedHttp = $"http://127.0.0.1:{FreePort.Get()}/announce";
        await using var swarm = await TrackedSwarm.StartAsync([refusedHttp], seed: 82);
        await using var client = P2PShareClient.StartDownload(swarm.Directory.Path, swarm.TorrentPath, swarm.OutputDirectory,
            "--no-seed", "--verbose", "--give-up-after", "60", "--state-dir", swarm.Directory.Combine("state"));
        await client.WaitForSuccessAsync(TimeSpan.FromSeconds(60));
        swarm.AssertDataMatches(client.Describe());
        Assert.That(client.ReadLog(), Does.Contain(refusedHttp), "the refused tracker was never tried. " + client.Describe());
    }

    /// <summary>
    /// A libtorrent seeder registered with opentracker, and a torrent whose announce-list is
    /// [first tier..., [opentracker]].
    /// </summary>
    private sealed class TrackedSwarm : IAsyncDisposable
    {
        private TrackedSwarm(TempDirectory directory) => Directory = directory;

        public TempDirectory Directory { get; }

        public string TorrentPath { get; private set; } = "";

        public string SourceFile { get; private set; } = "";

        public string OutputDirectory { get; private set; } = "";

        public string Name { get; private set; } = "";

        private OpenTrackerInstance? Tracker { get; set; }

        private LibtorrentPeer? Seeder { get; set; }

        public static async Task<TrackedSwarm> StartAsync(IReadOnlyList<string> firstTier, int seed)
        {
            var swarm = new TrackedSwarm(new TempDirectory("p2pshare-tiers-"));
            try
            {
                var sourceDirectory = swarm.Directory.CreateSubdirectory("seed");
                swarm.SourceFile = TestData.CreateFile(Path.Combine(sourceDirectory, "payload.bin"), Size, seed);
                var created = await LibtorrentTorrent.CreateAsync(swarm.SourceFile, swarm.Directory.Combine("plain.torrent"), 256 * 1024);
                swarm.Name = created.Name;
                swarm.Tracker = await OpenTrackerInstance.StartAsync([created.InfoHash], swarm.Directory.Combine("opentracker"));
                swarm.TorrentPath = WithTiers(created, swarm.Directory.Combine("tiers.torrent"), [firstTier, [swarm.Tracker.HttpAnnounceUrl]]);
                swarm.Seeder = await LibtorrentPeer.StartSeedAsync(created.TorrentPath, sourceDirectory,
                    o => o with { Trackers = [swarm.Tracker.HttpAnnounceUrl] });
                await swarm.WaitUntilTrackerKnowsSeederAsync(created.InfoHash);
                swarm.OutputDirectory = swarm.Directory.CreateSubdirectory("download");
                return swarm;
            }
            catch
            {
                await swarm.DisposeAsync();
                throw;
            }
        }

        public void AssertDataMatches(string diagnostics)
        {
            var downloaded = Path.Combine(OutputDirectory, Name);
            Assert.That(File.Exists(downloaded), Is.True, $"{downloaded} is missing. " + diagnostics);
            Assert.That(TestData.Sha256File(downloaded), Is.EqualTo(TestData.Sha256File(SourceFile)), "downloaded data differs. " + diagnostics);
        }

        public async ValueTask DisposeAsync()
        {
            if (Seeder is not null)
            {
                await Seeder.DisposeAsync();
            }
            if (Tracker is not null)
            {
                await Tracker.DisposeAsync();
            }
            Directory.Dispose();
        }

        /// <summary>Rewrites the torrent's announce and announce-list (BEP 12); the info dictionary and so the info-hash stay.</summary>
        private static string WithTiers(CreatedTorrent created, string path, IReadOnlyList<IReadOnlyList<string>> tiers)
        {
            var root = (BDictionary)BencodeDecoder.Decode(File.ReadAllBytes(created.TorrentPath));
            root["announce"] = new BString(tiers[0][0]);
            root["announce-list"] = new BList(tiers.Select(tier => (BValue)new BList(tier.Select(url => (BValue)new BString(url)))));
            File.WriteAllBytes(path, BencodeEncoder.Encode(root));
            var parsed = TorrentParser.Parse(File.ReadAllBytes(path));
            Assert.That(parsed.InfoHash.Hex, Is.EqualTo(created.InfoHash), "rewriting the trackers changed the info-hash");
            Assert.That(parsed.AnnounceTiers.Count, Is.EqualTo(tiers.Count));
            return path;
        }

        /// <summary>Scrapes opentracker until it counts one seeder (libtorrent announces right after it starts).</summary>
        private async Task WaitUntilTrackerKnowsSeederAsync(string infoHash)
        {
            var escaped = string.Concat(Convert.FromHexString(infoHash).Select(b => $"%{b:x2}"));
            var url = $"http://127.0.0.1:{Tracker!.Port}/scrape?info_hash={escaped}";
            await Eventually.UntilAsync(async () =>
            {
                var reply = Encoding.Latin1.GetString(await LoopbackHttp.Client.GetByteArrayAsync(url));
                return reply.Contains("8:completei1e", StringComparison.Ordinal);
            }, TimeSpan.FromSeconds(20), "opentracker to count the libtorrent seeder", () => Seeder!.Process.Describe());
        }
    }

    /// <summary>Keeps what the run tells its front end, for assertions and failure messages.</summary>
    private sealed class RecordingObserver : IRunObserver
    {
        private readonly ConcurrentQueue<string> _messages = new();

        public void Message(string text) => _messages.Enqueue(text);

        public void Checking(string reason, double fraction)
        {
        }

        public void Progress(RunPhase phase, TorrentProgress progress, int listenPort)
        {
        }

        public void Peers(IReadOnlyList<PeerInfo> peers)
        {
        }

        public override string ToString() => "--- run messages ---" + Environment.NewLine + string.Join(Environment.NewLine, _messages);
    }

    /// <summary>Collects log lines of every category at Debug and above.</summary>
    private sealed class CapturingLoggerFactory : ILoggerFactory
    {
        private readonly ConcurrentQueue<string> _lines = new();

        public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

        public void AddProvider(ILoggerProvider provider)
        {
        }

        public void Dispose()
        {
        }

        public override string ToString() => "--- log ---" + Environment.NewLine + string.Join(Environment.NewLine, _lines.TakeLast(200));

        private sealed class Logger(CapturingLoggerFactory owner, string category) : ILogger
        {
            public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

            public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Debug;

            public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
            {
                if (IsEnabled(logLevel))
                {
                    owner._lines.Enqueue($"{DateTime.UtcNow:HH:mm:ss.fff} {logLevel} {category}: {formatter(state, exception)}");
                }
            }
        }
    }
}
