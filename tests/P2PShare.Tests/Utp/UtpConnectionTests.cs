using System.Net;
using System.Security.Cryptography;
using P2PShare.Networking.Utp;
using P2PShare.Protocol.Utp;
using P2PShare.Tests.Support;

namespace P2PShare.Tests.Utp;

/// <summary>Two managers over an in-memory datagram link that can lose, reorder or cut datagrams.</summary>
[TestFixture]
public sealed class UtpConnectionTests
{
    private sealed class Pair : IAsyncDisposable
    {
        public required InMemoryDatagramLink Link { get; init; }
        public required UtpSocketManager A { get; init; }
        public required UtpSocketManager B { get; init; }

        public static Pair Create(InMemoryDatagramLink link, UtpOptions? options = null, TimeProvider? time = null)
        {
            var pair = new Pair
            {
                Link = link,
                A = new UtpSocketManager(link.A, options, time, new Random(1)),
                B = new UtpSocketManager(link.B, options, time, new Random(2)),
            };
            link.Start(pair.A, pair.B);
            return pair;
        }

        public async Task<(UtpStream Client, UtpStream Server)> ConnectAsync(CancellationToken ct)
        {
            var accept = B.AcceptAsync(ct).AsTask();
            var client = await A.ConnectAsync(Link.B.EndPoint, ct);
            return (client, await accept);
        }

        public async ValueTask DisposeAsync()
        {
            await A.DisposeAsync();
            await B.DisposeAsync();
            await Link.DisposeAsync();
        }
    }

    [Test, CancelAfter(60_000)]
    public async Task TransfersBothWaysOverALinkThatLosesAndReordersDatagrams(CancellationToken ct)
    {
        await using var pair = Pair.Create(new InMemoryDatagramLink(lossRate: 0.03, reorderRate: 0.1, seed: 5));
        var (client, server) = await pair.ConnectAsync(ct);
        var up = RandomNumberGenerator.GetBytes(1 << 20);
        var down = RandomNumberGenerator.GetBytes(512 << 10);

        var sendUp = Task.Run(async () => { await client.WriteAsync(up, ct); }, ct);
        var sendDown = Task.Run(async () => { await server.WriteAsync(down, ct); }, ct);
        var receivedUp = await ReadExactlyAsync(server, up.Length, ct);
        var receivedDown = await ReadExactlyAsync(client, down.Length, ct);
        await Task.WhenAll(sendUp, sendDown);

        Assert.That(receivedUp, Is.EqualTo(up));
        Assert.That(receivedDown, Is.EqualTo(down));
        var stats = client.Statistics;
        TestContext.Out.WriteLine($"client {stats}; dropped by the link: {pair.Link.A.Dropped + pair.Link.B.Dropped}");
        Assert.That(stats.Retransmissions, Is.GreaterThan(0), "3% loss must have cost retransmissions");
        client.Dispose();
        server.Dispose();
    }

    [Test, CancelAfter(30_000)]
    public async Task FinEndsTheStreamAfterAllDataAndBothSidesLeaveTheTable(CancellationToken ct)
    {
        await using var pair = Pair.Create(new InMemoryDatagramLink());
        var (client, server) = await pair.ConnectAsync(ct);
        var data = RandomNumberGenerator.GetBytes(100_000);
        await client.WriteAsync(data, ct);
        client.Dispose();
        Assert.That(await UtpLoopbackTests.ReadToEndAsync(server, data.Length, ct), SameBytes.As(data));
        server.Dispose();
        await Eventually.UntilAsync(() => pair.A.ConnectionCount == 0 && pair.B.ConnectionCount == 0, TimeSpan.FromSeconds(10),
            "both connections finished after FIN and its ACK", cancellationToken: ct);
        Assert.Throws<ObjectDisposedException>(() => server.ReadByte());
    }

    [Test, CancelAfter(30_000)]
    public async Task ResetFromThePeerFailsPendingReadsAndWrites(CancellationToken ct)
    {
        await using var pair = Pair.Create(new InMemoryDatagramLink());
        var (client, server) = await pair.ConnectAsync(ct);
        var read = server.ReadAsync(new byte[10], ct).AsTask();
        client.Abort();
        var error = Assert.ThrowsAsync<IOException>(async () => await read);
        Assert.That(error!.Message, Does.Contain("reset"));
        Assert.ThrowsAsync<IOException>(async () => await server.WriteAsync(new byte[10], ct));
        Assert.That(pair.B.ConnectionCount, Is.Zero);
    }

    [Test, CancelAfter(30_000)]
    public async Task ConnectTimesOutWhenNobodyAnswers(CancellationToken ct)
    {
        await using var pair = Pair.Create(new InMemoryDatagramLink(), new UtpOptions { ConnectTimeout = TimeSpan.FromSeconds(1.5) });
        pair.Link.DropAll = true;
        Assert.ThrowsAsync<TimeoutException>(() => pair.A.ConnectAsync(pair.Link.B.EndPoint, ct));
        Assert.That(pair.A.ConnectionCount, Is.Zero, "the half-open connection is gone");
    }

    [Test, CancelAfter(30_000)]
    public async Task GivesUpAfterTheBoundedNumberOfRetransmissionTimeouts(CancellationToken ct)
    {
        var clock = new ManualTimeProvider();
        await using var pair = Pair.Create(new InMemoryDatagramLink(), new UtpOptions { MaxConsecutiveTimeouts = 4 }, clock);
        var (client, _) = await pair.ConnectAsync(ct);
        pair.Link.DropAll = true;
        await client.WriteAsync(new byte[5000], ct);
        var read = client.ReadAsync(new byte[1], ct).AsTask();
        // 0.5 + 1 + 2 + 4 s of back-off, then the fifth expiry gives up; step the clock well past it.
        for (var i = 0; i < 40 && !read.IsCompleted; i++)
            clock.Advance(TimeSpan.FromSeconds(1));
        var error = Assert.ThrowsAsync<IOException>(async () => await read);
        Assert.That(error!.InnerException, Is.TypeOf<TimeoutException>());
        Assert.That(client.Statistics.Timeouts, Is.EqualTo(4));
    }

    [Test, CancelAfter(30_000)]
    public async Task AReaderThatDoesNotReadHoldsNoMoreThanItsReceiveBuffer(CancellationToken ct)
    {
        var options = new UtpOptions { ReceiveBufferSize = 64 * 1024, SendBufferSize = 32 * 1024 };
        await using var pair = Pair.Create(new InMemoryDatagramLink(), options);
        var (client, server) = await pair.ConnectAsync(ct);
        var data = RandomNumberGenerator.GetBytes(1 << 20);
        var write = client.WriteAsync(data, ct).AsTask();
        await Eventually.UntilAsync(() => server.Statistics.PacketsReceived > 40, TimeSpan.FromSeconds(10), "the window filled", cancellationToken: ct);
        await Task.Delay(300, ct);   // give a sender that ignored the window the time to overrun it
        Assert.That(write.IsCompleted, Is.False, "the writer waits: 1 MiB does not fit in 64 KiB + 32 KiB");
        Assert.That(server.Connection.Describe(), Does.Match(@"received (6[0-5]\d{3}|[1-5]?\d{1,4}) B"), "at most 64 KiB held");
        Assert.That(await ReadExactlyAsync(server, data.Length, ct), SameBytes.As(data));
        await write;
    }

    [Test, CancelAfter(30_000)]
    public async Task ASynFloodFillsOnlyTheBacklogAndGarbageOnlyACounter(CancellationToken ct)
    {
        await using var pair = Pair.Create(new InMemoryDatagramLink(), new UtpOptions { AcceptBacklog = 16 });
        var syn = new byte[UtpHeader.Size];
        for (var i = 0; i < 500; i++)
        {
            new UtpHeader(UtpPacketType.Syn, (ushort)(i * 2), 1, 0, 65536, (ushort)i, 0).WriteTo(syn);
            pair.B.TryHandle(syn, new IPEndPoint(IPAddress.Parse("127.0.0.9"), 1000 + i));
        }
        Assert.That(pair.B.ConnectionCount, Is.EqualTo(16));
        Assert.That(pair.B.RefusedSyns, Is.EqualTo(484));

        var random = new Random(3);
        var garbage = new byte[64];
        for (var i = 0; i < 1000; i++)
        {
            random.NextBytes(garbage);
            garbage[0] = (byte)(((garbage[0] % 5) << 4) | 0x01);
            garbage[1] = (byte)(1 + (garbage[1] % 3));   // an extension chain that will not parse
            garbage[21] = 250;
            Assert.That(pair.B.TryHandle(garbage, new IPEndPoint(IPAddress.Loopback, 4000)), Is.True, "uTP-looking datagrams are claimed");
        }
        Assert.That(pair.B.MalformedPackets, Is.GreaterThan(0));
        Assert.That(pair.B.ConnectionCount, Is.EqualTo(16));
    }

    [Test, CancelAfter(30_000)]
    public async Task AnAckOfDataNeverSentIsIgnored(CancellationToken ct)
    {
        await using var pair = Pair.Create(new InMemoryDatagramLink());
        var (client, server) = await pair.ConnectAsync(ct);
        var forged = new byte[UtpHeader.Size];
        // To the server's connection, as the client: "I have everything up to 30000 packets ahead".
        new UtpHeader(UtpPacketType.State, server.Connection.ReceiveId, 1, 0, 65536, 0, 30000).WriteTo(forged);
        pair.B.TryHandle(forged, pair.Link.A.EndPoint);
        var data = RandomNumberGenerator.GetBytes(50_000);
        await server.WriteAsync(data, ct);
        Assert.That(await ReadExactlyAsync(client, data.Length, ct), SameBytes.As(data), "the connection still delivers");
    }

    private static async Task<byte[]> ReadExactlyAsync(Stream stream, int count, CancellationToken ct)
    {
        var buffer = new byte[count];
        await stream.ReadExactlyAsync(buffer, ct);
        return buffer;
    }
}
