using System.Diagnostics;
using System.Net;
using System.Runtime.CompilerServices;
using System.Security.Cryptography;
using Microsoft.Extensions.Logging.Abstractions;
using P2PShare.Metainfo;
using P2PShare.Networking.Udp;
using P2PShare.Networking.Utp;
using P2PShare.Tests.Support;

namespace P2PShare.Tests.Utp;

/// <summary>
/// Our uTP against libtorrent 2.0 with TCP switched off (enable_incoming_tcp/enable_outgoing_tcp false): if the
/// transfer completes, every byte went over uTP, in both roles (we dial; libtorrent dials us).
/// </summary>
[TestFixture, Category("Interop")]
public sealed class UtpLibtorrentInteropTests
{
    [Test, CancelAfter(60_000)]
    public async Task DownloadsATorrentFromAUtpOnlyLibtorrentSeeder(CancellationToken ct)
    {
        await using var work = new TempDirectory();
        var file = TestData.CreateFile(work.Combine("seed", "data.bin"), 4 << 20, seed: 29);
        var created = await LibtorrentTorrent.CreateAsync(file, work.Combine("data.torrent"), 64 * 1024, cancellationToken: ct);
        var torrent = TorrentParser.Parse(await File.ReadAllBytesAsync(created.TorrentPath, ct));
        await using var seeder = await LibtorrentPeer.StartSeedAsync(created.TorrentPath, work.Combine("seed"),
            o => o with { NoTrackers = true, UtpOnly = true, Encryption = "disabled" }, ct);

        await using var udp = await StartUdpAsync(ct);
        var watch = Stopwatch.StartNew();
        await using var stream = await udp.Manager.ConnectAsync(new IPEndPoint(IPAddress.Loopback, seeder.Port), ct);
        var data = await StreamPeerWire.DownloadAsync(stream, torrent, ct);
        watch.Stop();

        Assert.That(SHA256.HashData(data), SameBytes.As(SHA256.HashData(await File.ReadAllBytesAsync(file, ct))));
        TestContext.Out.WriteLine($"4 MiB from libtorrent over uTP in {watch.Elapsed.TotalMilliseconds:0} ms (connect included) = " +
            $"{data.Length / watch.Elapsed.TotalSeconds / 1e6:0.0} MB/s; {stream.Statistics}");
    }

    [Test, CancelAfter(60_000)]
    public async Task SeedsATorrentToAUtpOnlyLibtorrentLeecherThatDialsUs(CancellationToken ct)
    {
        await using var work = new TempDirectory();
        var file = TestData.CreateFile(work.Combine("seed", "data.bin"), 2 << 20, seed: 30);
        var created = await LibtorrentTorrent.CreateAsync(file, work.Combine("data.torrent"), 64 * 1024, cancellationToken: ct);
        var torrent = TorrentParser.Parse(await File.ReadAllBytesAsync(created.TorrentPath, ct));
        var data = await File.ReadAllBytesAsync(file, ct);

        await using var udp = await StartUdpAsync(ct);
        await using var leecher = await LibtorrentPeer.StartAsync(new LibtorrentPeerOptions(created.TorrentPath, work.Combine("leech"))
        {
            Mode = LibtorrentMode.Leech,
            NoTrackers = true,
            UtpOnly = true,
            Encryption = "disabled",
            ConnectTo = [new IPEndPoint(IPAddress.Loopback, udp.Port.Port)],
        }, ct);
        await using var stream = await udp.Manager.AcceptAsync(ct);
        Assert.That(stream.IsIncoming, Is.True);
        using var stopSeeding = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var sent = new StrongBox<long>();
        var seeding = StreamPeerWire.SeedAsync(stream, torrent, data, sent, stopSeeding.Token);

        var complete = leecher.WaitUntilCompleteAsync(TimeSpan.FromSeconds(40), ct);
        // Progress every 3 s: our side's connection state if the transfer stalls.
        while (await Task.WhenAny(complete, Task.Delay(3000, ct)) != complete)
            TestContext.Out.WriteLine($"waiting: {stream}");
        await complete;
        await stopSeeding.CancelAsync();
        try
        {
            await seeding;
        }
        catch (OperationCanceledException)
        {
            // stopped by us once the leecher was complete
        }
        TestContext.Out.WriteLine($"seeder side: {stream.Statistics}");
        Assert.That(Interlocked.Read(ref sent.Value), Is.GreaterThanOrEqualTo(data.Length), "every block served at least once");
        Assert.That(TestData.Sha256File(work.Combine("leech", "data.bin")), Is.EqualTo(TestData.Sha256File(file)));
    }

    private static async Task<UdpUnderTest> StartUdpAsync(CancellationToken ct)
    {
        var port = UdpPort.Bind(IPAddress.Loopback, 0, NullLogger.Instance);
        var manager = new UtpSocketManager(port, logger: Environment.GetEnvironmentVariable("UTP_TRACE") is { } trace ? new FileTraceLogger(trace) : null);
        port.AddHandler(manager);
        var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
        await Task.Yield();
        return new UdpUnderTest(port, manager, stop, port.RunAsync(stop.Token));
    }

    private sealed record UdpUnderTest(UdpPort Port, UtpSocketManager Manager, CancellationTokenSource Stop, Task Receive) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync()
        {
            await Manager.DisposeAsync();
            await Stop.CancelAsync();
            await Receive;
            await Port.DisposeAsync();
            Stop.Dispose();
        }
    }
}
