using System.Net;
using P2PShare.Networking.Peers;
using P2PShare.Networking.Utp;
using P2PShare.Tests.Support;

namespace P2PShare.Tests.Utp;

/// <summary>The staggered TCP/uTP race and the per-address memory of what won (uTP over an in-memory link, TCP faked).</summary>
[TestFixture]
[CancelAfter(20_000)]
public sealed class TcpAndUtpTransportTests
{
    private static readonly TimeSpan Delay = TimeSpan.FromMilliseconds(300);

    [Test]
    public async Task PeerWhoseTcpOpensIsReachedOverTcpWithoutAnyUtpSyn(CancellationToken ct)
    {
        await using var pair = Pair.Create(new InMemoryDatagramLink { DropAll = true });
        var tcp = new FakeTcp();
        var transport = new TcpAndUtpTransport(pair.A, tcp, TimeSpan.FromSeconds(5));
        var peer = pair.Link.B.EndPoint;

        await using (var stream = await transport.ConnectAsync(peer, ct))
        {
            Assert.That(transport.NameOf(stream), Is.EqualTo("tcp"));
            Assert.That(transport.Known(peer), Is.Null, "nothing is learnt before the BitTorrent handshake");
            transport.OnHandshakeResult(peer, stream, succeeded: true);
        }

        Assert.That(transport.Known(peer), Is.False);
        Assert.That(tcp.Dials, Is.EqualTo(1));
        Assert.That(transport.UtpWins, Is.Zero);
        Assert.That(pair.Link.B.Dropped, Is.Zero, "no SYN: TCP opened within its head start");
    }

    [Test]
    public async Task PeerWhoseTcpRefusesIsReachedOverUtpAtOnceAndRemembered(CancellationToken ct)
    {
        await using var pair = Pair.Create(new InMemoryDatagramLink());
        var tcp = new FakeTcp { Refuse = true };
        // A long delay: only TCP's failure can start uTP in time.
        var transport = new TcpAndUtpTransport(pair.A, tcp, TimeSpan.FromSeconds(30));
        var peer = pair.Link.B.EndPoint;

        await using (var stream = await transport.ConnectAsync(peer, ct))
        await using (await pair.B.AcceptAsync(ct))
        {
            Assert.That(stream, Is.InstanceOf<UtpStream>());
            transport.OnHandshakeResult(peer, stream, succeeded: true);
        }
        Assert.That(transport.Known(peer), Is.True);
        Assert.That(transport.UtpWins, Is.EqualTo(1));

        await using (var again = await transport.ConnectAsync(peer, ct))
        await using (await pair.B.AcceptAsync(ct))
            Assert.That(transport.NameOf(again), Is.EqualTo("utp"));
        Assert.That(tcp.Dials, Is.EqualTo(1), "the redial goes straight to uTP");
    }

    [Test]
    public async Task PeerWhoseTcpHangsIsReachedOverUtpAfterTheDelayAndTheTcpAttemptIsCancelled(CancellationToken ct)
    {
        await using var pair = Pair.Create(new InMemoryDatagramLink());
        var tcp = new FakeTcp { Hang = true };
        var transport = new TcpAndUtpTransport(pair.A, tcp, Delay);

        var started = DateTime.UtcNow;
        await using (var stream = await transport.ConnectAsync(pair.Link.B.EndPoint, ct))
        await using (await pair.B.AcceptAsync(ct))
            Assert.That(stream, Is.InstanceOf<UtpStream>());

        Assert.That(DateTime.UtcNow - started, Is.GreaterThanOrEqualTo(Delay - TimeSpan.FromMilliseconds(20)), "uTP waited for TCP's head start");
        await Eventually.UntilAsync(() => tcp.Cancelled == 1, TimeSpan.FromSeconds(5), "the hanging TCP dial was cancelled");
    }

    [Test]
    public async Task PeerWhoseTcpOpensButFailsTheHandshakeIsDialledOverUtpNext(CancellationToken ct)
    {
        // A uTP-only libtorrent accepts TCP connections and closes them: TCP wins the race but is no use.
        await using var pair = Pair.Create(new InMemoryDatagramLink());
        var tcp = new FakeTcp();
        var transport = new TcpAndUtpTransport(pair.A, tcp, TimeSpan.FromSeconds(30));
        var peer = pair.Link.B.EndPoint;

        await using (var first = await transport.ConnectAsync(peer, ct))
        {
            Assert.That(transport.NameOf(first), Is.EqualTo("tcp"));
            transport.OnHandshakeResult(peer, first, succeeded: false);
        }
        await using (var second = await transport.ConnectAsync(peer, ct))
        await using (await pair.B.AcceptAsync(ct))
        {
            Assert.That(second, Is.InstanceOf<UtpStream>());
            transport.OnHandshakeResult(peer, second, succeeded: true);
        }

        Assert.That(tcp.Dials, Is.EqualTo(1));
        Assert.That(transport.Known(peer), Is.True);
    }

    [Test]
    public async Task WhenBothFailTcpsErrorIsThrownAndNothingIsRemembered(CancellationToken ct)
    {
        await using var pair = Pair.Create(new InMemoryDatagramLink { DropAll = true }, new UtpOptions { ConnectTimeout = TimeSpan.FromSeconds(1) });
        var transport = new TcpAndUtpTransport(pair.A, new FakeTcp { Refuse = true }, Delay);
        var peer = pair.Link.B.EndPoint;

        var error = Assert.ThrowsAsync<IOException>(async () => await transport.ConnectAsync(peer, ct));

        Assert.That(error!.Message, Is.EqualTo("connection refused"));
        Assert.That(transport.Known(peer), Is.Null);
    }

    [Test]
    public async Task RememberedTransportThatFailsIsForgotten(CancellationToken ct)
    {
        await using var pair = Pair.Create(new InMemoryDatagramLink { DropAll = true });
        var tcp = new FakeTcp();
        var transport = new TcpAndUtpTransport(pair.A, tcp, Delay);
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
        var transport = new TcpAndUtpTransport(new UtpSocketManager(link.A), new FakeTcp(), Delay, capacity: 2);
        var peers = Enumerable.Range(1, 3).Select(i => new IPEndPoint(IPAddress.Loopback, 7000 + i)).ToArray();
        foreach (var peer in peers)
            transport.Remember(peer, usesUtp: true);

        Assert.That(peers.Select(transport.Known), Is.EqualTo(new bool?[] { null, true, true }));
    }

    private sealed class FakeTcp : IPeerTransport
    {
        private int _dials;
        private int _cancelled;

        public bool Refuse { get; set; }

        /// <summary>The dial neither opens nor fails until it is cancelled (a firewall that drops SYNs).</summary>
        public bool Hang { get; init; }

        public int Dials => Volatile.Read(ref _dials);

        public int Cancelled => Volatile.Read(ref _cancelled);

        public string Name => "tcp";

        public async ValueTask<Stream> ConnectAsync(IPEndPoint endPoint, CancellationToken cancellationToken)
        {
            Interlocked.Increment(ref _dials);
            if (Refuse)
                throw new IOException("connection refused");
            if (Hang)
            {
                try
                {
                    await Task.Delay(Timeout.Infinite, cancellationToken);
                }
                finally
                {
                    Interlocked.Increment(ref _cancelled);
                }
            }
            return InMemoryDuplexStream.CreatePair().Item1;
        }
    }

    private sealed class Pair : IAsyncDisposable
    {
        public required InMemoryDatagramLink Link { get; init; }
        public required UtpSocketManager A { get; init; }
        public required UtpSocketManager B { get; init; }

        public static Pair Create(InMemoryDatagramLink link, UtpOptions? options = null)
        {
            var pair = new Pair { Link = link, A = new UtpSocketManager(link.A, options, random: new Random(1)), B = new UtpSocketManager(link.B, options, random: new Random(2)) };
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
