using System.Net;
using P2PShare.Networking.Peers;
using P2PShare.Networking.Utp;
using P2PShare.Tests.Support;

namespace P2PShare.Tests.Utp;

/// <summary>uTP first, TCP when uTP does not answer, and the per-address memory of what worked (over an in-memory link).</summary>
[TestFixture]
[CancelAfter(20_000)]
public sealed class UtpThenTcpTransportTests
{
    private static readonly TimeSpan AnswerTimeout = TimeSpan.FromMilliseconds(300);

    [Test]
    public async Task AnsweringPeerIsReachedOverUtpAndRemembered(CancellationToken ct)
    {
        await using var pair = Pair.Create(new InMemoryDatagramLink());
        var tcp = new FakeTcp();
        var transport = new UtpThenTcpTransport(pair.A, tcp, AnswerTimeout);

        await using var stream = await transport.ConnectAsync(pair.Link.B.EndPoint, ct);
        await using var accepted = await pair.B.AcceptAsync(ct);

        Assert.That(stream, Is.InstanceOf<UtpStream>());
        Assert.That(transport.NameOf(stream), Is.EqualTo("utp"));
        Assert.That(transport.Known(pair.Link.B.EndPoint), Is.True);
        Assert.That(tcp.Dials, Is.Zero);
        Assert.That(transport.Fallbacks, Is.Zero);
    }

    [Test]
    public async Task SilentPeerFallsBackToTcpOnceAndIsThenDialledOverTcpStraightAway(CancellationToken ct)
    {
        await using var pair = Pair.Create(new InMemoryDatagramLink { DropAll = true });
        var tcp = new FakeTcp();
        var transport = new UtpThenTcpTransport(pair.A, tcp, AnswerTimeout);
        var peer = pair.Link.B.EndPoint;

        await using (var first = await transport.ConnectAsync(peer, ct))
            Assert.That(transport.NameOf(first), Is.EqualTo("tcp"));
        Assert.That(transport.Fallbacks, Is.EqualTo(1));
        Assert.That(transport.Known(peer), Is.False);
        Assert.That(pair.Link.B.Dropped, Is.GreaterThanOrEqualTo(1), "a SYN was sent first");

        var synsBefore = pair.Link.B.Dropped;
        await using (var second = await transport.ConnectAsync(peer, ct))
            Assert.That(transport.NameOf(second), Is.EqualTo("tcp"));
        Assert.That(tcp.Dials, Is.EqualTo(2));
        Assert.That(transport.Fallbacks, Is.EqualTo(1), "the redial must not wait for uTP again");
        Assert.That(pair.Link.B.Dropped, Is.EqualTo(synsBefore), "no SYN on the redial");
    }

    [Test]
    public async Task RememberedTransportThatFailsIsForgotten(CancellationToken ct)
    {
        await using var pair = Pair.Create(new InMemoryDatagramLink { DropAll = true });
        var tcp = new FakeTcp();
        var transport = new UtpThenTcpTransport(pair.A, tcp, AnswerTimeout);
        var peer = pair.Link.B.EndPoint;
        transport.Remember(peer, usesUtp: false);
        tcp.Refuse = true;

        Assert.ThrowsAsync<IOException>(async () => await transport.ConnectAsync(peer, ct));
        Assert.That(transport.Known(peer), Is.Null);
    }

    [Test]
    public void MemoryIsBoundedOldestFirst()
    {
        var link = new InMemoryDatagramLink();
        var transport = new UtpThenTcpTransport(new UtpSocketManager(link.A), new FakeTcp(), AnswerTimeout, capacity: 2);
        var peers = Enumerable.Range(1, 3).Select(i => new IPEndPoint(IPAddress.Loopback, 7000 + i)).ToArray();
        foreach (var peer in peers)
            transport.Remember(peer, usesUtp: true);

        Assert.That(peers.Select(transport.Known), Is.EqualTo(new bool?[] { null, true, true }));
    }

    private sealed class FakeTcp : IPeerTransport
    {
        private int _dials;

        public bool Refuse { get; set; }

        public int Dials => Volatile.Read(ref _dials);

        public string Name => "tcp";

        public ValueTask<Stream> ConnectAsync(IPEndPoint endPoint, CancellationToken cancellationToken)
        {
            Interlocked.Increment(ref _dials);
            if (Refuse)
                throw new IOException("connection refused");
            return ValueTask.FromResult<Stream>(InMemoryDuplexStream.CreatePair().Item1);
        }
    }

    private sealed class Pair : IAsyncDisposable
    {
        public required InMemoryDatagramLink Link { get; init; }
        public required UtpSocketManager A { get; init; }
        public required UtpSocketManager B { get; init; }

        public static Pair Create(InMemoryDatagramLink link)
        {
            var pair = new Pair { Link = link, A = new UtpSocketManager(link.A, random: new Random(1)), B = new UtpSocketManager(link.B, random: new Random(2)) };
            link.Start(pair.A, pair.B);
            return pair;
        }

        public async ValueTask DisposeAsync()
        {
            await A.DisposeAsync();
            await B.DisposeAsync();
            await Link.DisposeAsync();
        }
    }
}
