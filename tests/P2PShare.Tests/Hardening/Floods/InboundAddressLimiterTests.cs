using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging.Abstractions;
using P2PShare.Engine;
using P2PShare.Tests.Engine;
using P2PShare.Tests.Support;

namespace P2PShare.Tests.Hardening.Floods;

/// <summary>Per-address limits on incoming handshakes (issue #25: a flood of wrong info-hashes cost 77 s of CPU in 85 s).</summary>
public class InboundAddressLimiterTests
{
    private static readonly IPAddress Flooder = IPAddress.Parse("10.0.0.1");
    private static readonly IPAddress Honest = IPAddress.Parse("10.0.0.2");

    private static InboundAddressLimits Limits => new() { MaxPendingPerAddress = 3, FailureBurst = 5, FailuresPerSecond = 0.5, MaxAddresses = 4 };

    [Test]
    public void A_flood_of_failed_handshakes_spends_the_burst_then_is_refused_until_tokens_come_back()
    {
        var clock = new ManualTimeProvider();
        var limiter = new InboundAddressLimiter(Limits, clock);
        for (var i = 0; i < 5; i++)
        {
            Assert.That(limiter.TryBegin(Flooder), Is.True, $"failure {i} is within the burst");
            limiter.End(Flooder, succeeded: false);
        }
        Assert.That(limiter.TryBegin(Flooder), Is.False, "burst spent: refused at accept");
        Assert.That(limiter.TryBegin(Flooder), Is.False);
        Assert.That(limiter.Refused, Is.EqualTo(2));
        Assert.That(limiter.TryBegin(Honest), Is.True, "another address is not affected");
        limiter.End(Honest, succeeded: true);

        clock.Advance(TimeSpan.FromSeconds(1.9));
        Assert.That(limiter.TryBegin(Flooder), Is.False, "0.95 tokens after 1.9 s at 0.5/s");
        clock.Advance(TimeSpan.FromSeconds(0.1));
        Assert.That(limiter.TryBegin(Flooder), Is.True, "one token back after 2 s");
        limiter.End(Flooder, succeeded: false);
        Assert.That(limiter.TryBegin(Flooder), Is.False, "and spent again");
    }

    [Test]
    public void Successful_handshakes_cost_nothing_and_an_ipv4_mapped_address_is_the_same_host()
    {
        var clock = new ManualTimeProvider();
        var limiter = new InboundAddressLimiter(Limits, clock);
        for (var i = 0; i < 100; i++)
        {
            Assert.That(limiter.TryBegin(Honest), Is.True);
            limiter.End(Honest, succeeded: true);
        }
        for (var i = 0; i < 5; i++)
        {
            Assert.That(limiter.TryBegin(Flooder.MapToIPv6()), Is.True);
            limiter.End(Flooder, succeeded: false);
        }
        Assert.That(limiter.TryBegin(Flooder), Is.False);
        Assert.That(limiter.TryBegin(Flooder.MapToIPv6()), Is.False);
    }

    [Test]
    public void Handshakes_in_progress_are_capped_per_address()
    {
        var limiter = new InboundAddressLimiter(Limits, new ManualTimeProvider());
        for (var i = 0; i < 3; i++)
            Assert.That(limiter.TryBegin(Flooder), Is.True);
        Assert.That(limiter.TryBegin(Flooder), Is.False, "a fourth at once from one address");
        Assert.That(limiter.TryBegin(Honest), Is.True);
        limiter.End(Flooder, succeeded: true);
        Assert.That(limiter.TryBegin(Flooder), Is.True, "a place came back");
    }

    [Test]
    public void The_table_is_bounded_and_idle_addresses_make_room()
    {
        var clock = new ManualTimeProvider();
        var limiter = new InboundAddressLimiter(Limits, clock);
        for (var i = 0; i < 1000; i++)
        {
            var address = new IPAddress([10, 1, (byte)(i >> 8), (byte)i]);
            Assert.That(limiter.TryBegin(address), Is.True);
            limiter.End(address, succeeded: i % 2 == 0);
            Assert.That(limiter.TrackedAddresses, Is.LessThanOrEqualTo(4));
            clock.Advance(TimeSpan.FromSeconds(1));
        }
        // Four busy addresses fill the table: a fifth is let through untracked (the engine-wide cap still holds).
        var busy = Enumerable.Range(0, 4).Select(i => new IPAddress([10, 2, 0, (byte)i])).ToList();
        var fresh = new InboundAddressLimiter(Limits, clock);
        foreach (var address in busy)
            Assert.That(fresh.TryBegin(address), Is.True);
        Assert.That(fresh.TryBegin(IPAddress.Parse("10.3.0.1")), Is.True);
        Assert.That(fresh.TrackedAddresses, Is.EqualTo(4));
    }

    [Test]
    public void Bad_limits_are_refused()
    {
        Assert.That(() => new EngineSettings { InboundAddressLimits = new() { MaxPendingPerAddress = 0 } }.Validate(),
            Throws.ArgumentException.With.Message.Contains("per address"));
        Assert.That(() => new InboundAddressLimiter(new() { FailuresPerSecond = 0 }, TimeProvider.System), Throws.ArgumentException);
    }

    [Test, CancelAfter(30_000)]
    public async Task The_engine_closes_a_flooding_address_at_accept_while_another_address_still_gets_its_torrent()
    {
        var limits = new InboundAddressLimits { FailureBurst = 5, FailuresPerSecond = 0.1 };
        await using var engine = ClientEngine.Start(new EngineSettings { ListenAddress = IPAddress.Loopback, Port = 0, Dht = false, InboundAddressLimits = limits },
            TimeProvider.System, NullLoggerFactory.Instance);
        var (known, _) = SessionSwarmTests.MakeTorrent(64 * 1024, 16 * 1024, seed: 1);
        var (unknown, _) = SessionSwarmTests.MakeTorrent(64 * 1024, 16 * 1024, seed: 2);
        var attached = 0;
        engine.Register(known.InfoHash, new CountingSink(new(0, known.InfoHash, engine.PeerId), () => Interlocked.Increment(ref attached)));

        var flooder = IPAddress.Parse("127.0.0.2");
        var started = System.Diagnostics.Stopwatch.StartNew();
        for (var i = 0; i < 200; i++)
            await HandshakeFromAsync(flooder, engine.Port, unknown.InfoHash.Memory);
        TestContext.Out.WriteLine($"200 wrong-info-hash handshakes from {flooder}: {started.ElapsedMilliseconds} ms, refused at accept {engine.RefusedByAddress}");
        Assert.That(engine.RefusedByAddress, Is.GreaterThanOrEqualTo(190), "after the burst of 5 (and a token or two earned back), closed at accept");

        Assert.That(await HandshakeFromAsync(flooder, engine.Port, known.InfoHash.Memory), Is.Zero,
            "the flooding address is closed at accept even when it names a torrent we have");
        var replyLength = await HandshakeFromAsync(IPAddress.Parse("127.0.0.3"), engine.Port, known.InfoHash.Memory);
        Assert.That(replyLength, Is.EqualTo(RawPeerWire.HandshakeLength), "another address is answered");
        await Eventually.UntilAsync(() => Volatile.Read(ref attached) == 1, TimeSpan.FromSeconds(10), "the torrent to get the other address's connection");
    }

    private sealed class CountingSink(P2PShare.Protocol.Wire.Handshake ours, Action onAttach) : ITorrentPeerSink
    {
        public P2PShare.Protocol.Wire.Handshake OurHandshake { get; } = ours;

        public void Attach(P2PShare.Networking.Peers.PeerConnection connection)
        {
            onAttach();
            _ = connection.DisposeAsync();
        }
    }

    /// <summary>Connects from <paramref name="source"/>, sends a handshake for <paramref name="infoHash"/>, returns how many reply bytes came before the close.</summary>
    private static async Task<int> HandshakeFromAsync(IPAddress source, int port, ReadOnlyMemory<byte> infoHash)
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        socket.Bind(new IPEndPoint(source, 0));
        await socket.ConnectAsync(IPAddress.Loopback, port);
        try
        {
            await socket.SendAsync(RawPeerWire.Handshake(infoHash.Span, RawPeerWire.NewPeerId()));
        }
        catch (SocketException)
        {
            return 0; // Closed at accept: the send may meet a reset.
        }
        var reply = new byte[RawPeerWire.HandshakeLength];
        var read = 0;
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        try
        {
            while (read < reply.Length)
            {
                var n = await socket.ReceiveAsync(reply.AsMemory(read), timeout.Token);
                if (n == 0)
                    break;
                read += n;
            }
        }
        catch (SocketException)
        {
        }
        return read;
    }
}

public class PendingHandshakeTableTests
{
    [Test]
    public void At_the_cap_the_handshake_silent_longest_is_cancelled_once_it_is_old_enough()
    {
        var clock = new ManualTimeProvider();
        var table = new PendingHandshakeTable(clock);
        using var first = new CancellationTokenSource();
        using var second = new CancellationTokenSource();
        var r1 = table.Add(first);
        clock.Advance(TimeSpan.FromMilliseconds(500));
        using var r2 = table.Add(second);
        Assert.That(table.CancelOldest(TimeSpan.FromSeconds(1)), Is.False, "nobody silent for a second yet");
        clock.Advance(TimeSpan.FromMilliseconds(600));
        Assert.That(table.CancelOldest(TimeSpan.FromSeconds(1)), Is.True);
        Assert.That((first.IsCancellationRequested, second.IsCancellationRequested), Is.EqualTo((true, false)), "the older one goes");
        Assert.That(table.Count, Is.EqualTo(1));
        r1.Dispose();
        Assert.That(table.Count, Is.EqualTo(1), "ending a cancelled one removes nothing else");
        Assert.That(table.CancelOldest(TimeSpan.FromSeconds(1)), Is.False, "the second is only 0.6 s old");
    }
}
