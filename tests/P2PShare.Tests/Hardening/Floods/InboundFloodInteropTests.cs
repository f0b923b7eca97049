using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using P2PShare.Tests.Interop.Engine;
using P2PShare.Tests.Interop.Seeding;
using P2PShare.Tests.Support;

namespace P2PShare.Tests.Hardening.Floods;

/// <summary>
/// Issue #25, Proven: 500 inbound connections (no handshake, right info-hash, wrong info-hash) are held without fd or
/// memory growth beyond the configured limits while a libtorrent leecher still downloads from our seeder at full speed,
/// and after they close, fds and memory return to baseline (read from /proc of the p2pshare process).
/// </summary>
[TestFixture]
[Category("Interop")]
public sealed class InboundFloodInteropTests
{
    private const long ContentSize = 4L * 1024 * 1024;
    // Above the 170 right-info-hash idle connections: this test is about fds, memory and handshakes; idle peers at the
    // peer limit are PeerEviction's (after its grace), tested elsewhere.
    private const int MaxPeers = 200;
    private const int MaxPendingHandshakes = 64; // EngineSettings' default
    private const int Hosts = 10;
    private const int ConnectionsPerHost = 50;

    [Test, CancelAfter(90_000)]
    public async Task FiveHundredHostileConnectionsNeitherGrowFdsNorMemoryNorSlowARealLeecher(CancellationToken cancellationToken)
    {
        RequiredTool.EnsureLibtorrent();
        await using var scenario = await SeedScenario.CreateAsync("flood", ContentSize, seed: 251, pieceSizeKiB: 256, cancellationToken: cancellationToken);
        var (seeder, port) = await scenario.StartSeederAsync(cancellationToken, "--max-peers", MaxPeers.ToString());
        await using var _s = seeder;

        // Baseline: one libtorrent download with nobody else around, then the process at rest.
        var quiet = await DownloadAsync(scenario, port, "quiet", cancellationToken);
        var (baseFds, baseMemory) = await SettledAsync(seeder.Pid, cancellationToken);
        TestContext.Out.WriteLine($"baseline: libtorrent {quiet.TotalSeconds:0.00} s for 4 MiB, seeder {baseFds} fds, RssAnon {baseMemory / 1048576.0:0.0} MiB");

        var wrongHash = new byte[20];
        Random.Shared.NextBytes(wrongHash);
        var flood = new List<Socket>();
        var peakFds = 0;
        long peakMemory = 0;
        using var sampling = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var sampler = Task.Run(async () =>
        {
            while (!sampling.IsCancellationRequested)
            {
                peakFds = Math.Max(peakFds, FdCount(seeder.Pid));
                peakMemory = Math.Max(peakMemory, ProcessProbe.PrivateBytes(seeder.Pid));
                await Task.Delay(50, CancellationToken.None);
            }
        }, CancellationToken.None);
        TimeSpan underFlood;
        var opened = Stopwatch.StartNew();
        try
        {
            // 10 hosts (127.0.0.2-11) x 50: a third silent, a third a right handshake then silence, a third a wrong info-hash.
            for (var host = 0; host < Hosts; host++)
            {
                var source = new IPAddress([127, 0, 0, (byte)(2 + host)]);
                for (var i = 0; i < ConnectionsPerHost; i++)
                {
                    var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
                    flood.Add(socket);
                    socket.Bind(new IPEndPoint(source, 0));
                    await socket.ConnectAsync(IPAddress.Loopback, port, cancellationToken);
                    var infoHash = (i % 3) switch { 0 => null, 1 => scenario.InfoHash, _ => wrongHash };
                    if (infoHash is not null)
                    {
                        try
                        {
                            await socket.SendAsync(RawPeerWire.Handshake(infoHash, RawPeerWire.NewPeerId()), cancellationToken);
                        }
                        catch (SocketException)
                        {
                            // Closed at accept by the per-address limits.
                        }
                    }
                }
            }
            TestContext.Out.WriteLine($"{flood.Count} hostile connections opened in {opened.ElapsedMilliseconds} ms");

            // While they are held: a second libtorrent leecher downloads the whole torrent.
            try
            {
                underFlood = await DownloadAsync(scenario, port, "flooded", cancellationToken);
            }
            catch
            {
                TestContext.Out.WriteLine(seeder.LogTail(120));
                throw;
            }
        }
        finally
        {
            foreach (var socket in flood)
                socket.Dispose();
        }
        await sampling.CancelAsync();
        await sampler;

        var (afterFds, afterMemory) = await SettledAsync(seeder.Pid, cancellationToken, baseFds);
        TestContext.Out.WriteLine($"under the flood: libtorrent {underFlood.TotalSeconds:0.00} s for 4 MiB " +
            $"({ContentSize / underFlood.TotalSeconds / 1048576:0.0} MiB/s; quiet {ContentSize / quiet.TotalSeconds / 1048576:0.0} MiB/s)");
        TestContext.Out.WriteLine($"seeder peak: {peakFds} fds (+{peakFds - baseFds}), RssAnon {peakMemory / 1048576.0:0.0} MiB (+{(peakMemory - baseMemory) / 1048576.0:0.0})");
        TestContext.Out.WriteLine($"after close: {afterFds} fds (+{afterFds - baseFds}), RssAnon {afterMemory / 1048576.0:0.0} MiB (+{(afterMemory - baseMemory) / 1048576.0:0.0})");

        Assert.That(peakFds - baseFds, Is.LessThanOrEqualTo(MaxPendingHandshakes + MaxPeers + 16),
            "fds held beyond the pending-handshake cap plus the peer limit");
        Assert.That(peakMemory - baseMemory, Is.LessThan(96L * 1024 * 1024), "private memory grew by more than 96 MiB under the flood");
        Assert.That(underFlood.TotalSeconds, Is.LessThan(Math.Max(3 * quiet.TotalSeconds, quiet.TotalSeconds + 5)),
            "the real leecher was slowed by the flood");
        Assert.That(afterFds - baseFds, Is.LessThanOrEqualTo(4), "fds back to baseline after the flood closed");
        Assert.That(afterMemory - baseMemory, Is.LessThan(48L * 1024 * 1024), "private memory back near baseline after the flood closed");
        Assert.That(seeder.HasExited, Is.False, seeder.Describe);
    }

    /// <summary>A libtorrent leecher dialling the seeder: the time from its start to a complete, verified copy.</summary>
    private static async Task<TimeSpan> DownloadAsync(SeedScenario scenario, int port, string name, CancellationToken cancellationToken)
    {
        var output = scenario.Temp.CreateSubdirectory(name);
        var clock = Stopwatch.StartNew();
        await using var leecher = await LibtorrentPeer.StartAsync(new LibtorrentPeerOptions(scenario.Torrent.TorrentPath, output)
        {
            Mode = LibtorrentMode.Leech,
            NoTrackers = true,
            ConnectTo = [SeedScenario.Loopback(port)],
            RedialInterval = TimeSpan.FromSeconds(1),
        }, cancellationToken);
        var done = await leecher.WaitForExitAsync(TimeSpan.FromSeconds(40), cancellationToken);
        var elapsed = clock.Elapsed;
        Assert.That(done.TotalPayloadDownload, Is.GreaterThanOrEqualTo(ContentSize));
        scenario.AssertSameContent(output, $"the {name} libtorrent leecher", leecher.Process.Describe);
        return elapsed;
    }

    /// <summary>fds and private memory once the fd count has stopped falling (or reached <paramref name="target"/>).</summary>
    private static async Task<(int Fds, long Memory)> SettledAsync(int pid, CancellationToken cancellationToken, int target = 0)
    {
        var last = FdCount(pid);
        for (var i = 0; i < 60; i++)
        {
            await Task.Delay(250, cancellationToken);
            var now = FdCount(pid);
            if (now <= target || (now == last && i >= 4))
                break;
            last = now;
        }
        return (FdCount(pid), ProcessProbe.PrivateBytes(pid));
    }

    private static int FdCount(int pid) => Directory.GetFileSystemEntries($"/proc/{pid}/fd").Length;
}
