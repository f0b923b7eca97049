using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging.Abstractions;
using P2PShare.Engine;
using P2PShare.Networking.Trackers;
using P2PShare.Tests.Support;
using static P2PShare.Tests.Trackers.TrackerTestData;

namespace P2PShare.Tests.Trackers;

/// <summary>One UDP socket for every UDP tracker: replies matched by transaction id and sender; the engine's port used.</summary>
public class UdpTrackerSocketTests
{
    private static readonly TrackerOptions FastOptions = new()
    {
        UdpBaseTimeout = TimeSpan.FromMilliseconds(300),
        UdpMaxRetransmissions = 2,
    };

    [Test]
    [CancelAfter(20_000)]
    public async Task TwoTrackersAreAskedThroughOneSocket()
    {
        await using var first = new FakeUdpTracker(peers: CompactPeers("127.0.0.5:6881").Bytes.ToArray());
        await using var second = new FakeUdpTracker(peers: CompactPeers("127.0.0.6:6881").Bytes.ToArray());
        await using var socket = UdpTrackerSocket.Open(NullLogger.Instance);
        await using var a = new UdpTrackerClient(new Uri(first.Url), FastOptions, 1, TimeProvider.System, socket: socket);
        await using var b = new UdpTrackerClient(new Uri(second.Url), FastOptions, 2, TimeProvider.System, socket: socket);

        var answers = await Task.WhenAll(a.AnnounceAsync(Request(Hash(1)), CancellationToken.None), b.AnnounceAsync(Request(Hash(2)), CancellationToken.None));

        Assert.That(answers[0].Peers, Is.EqualTo(new[] { IPEndPoint.Parse("127.0.0.5:6881") }));
        Assert.That(answers[1].Peers, Is.EqualTo(new[] { IPEndPoint.Parse("127.0.0.6:6881") }));
        var ports = first.Senders.Concat(second.Senders).Select(s => s.Port).Distinct().ToList();
        Assert.That(ports, Has.Count.EqualTo(1), "both trackers heard from the same source port");
    }

    [Test]
    [CancelAfter(20_000)]
    public async Task TheEnginesTrackersSpeakFromItsListenPort()
    {
        await using var tracker = new FakeUdpTracker();
        await using var engine = ClientEngine.Start(new EngineSettings { ListenAddress = IPAddress.Loopback, Port = 0, Dht = false }, TimeProvider.System, NullLoggerFactory.Instance);
        Assert.That(engine.TrackerUdp, Is.Not.Null);
        await using var client = new UdpTrackerClient(new Uri(tracker.Url), FastOptions, 1, TimeProvider.System, socket: engine.TrackerUdp);

        await client.AnnounceAsync(Request(Hash(1)), CancellationToken.None);

        Assert.That(tracker.Senders.Select(s => s.Port).Distinct(), Is.EqualTo(new[] { engine.Port }),
            "announces leave from the engine's one UDP port (the port DHT and uTP use), not a socket per tracker");
    }

    [Test]
    [CancelAfter(20_000)]
    public async Task AReplyFromAnotherAddressIsAStrayAndTheRealOneStillCounts()
    {
        // A "tracker" that forwards nothing but lets us see the request, and a forger on another port.
        using var tracker = new UdpClient(new IPEndPoint(IPAddress.Loopback, 0));
        using var forger = new UdpClient(new IPEndPoint(IPAddress.Loopback, 0));
        await using var socket = UdpTrackerSocket.Open(NullLogger.Instance);
        var to = (IPEndPoint)tracker.Client.LocalEndPoint!;
        var reply = new byte[64];
        var exchange = socket.ExchangeAsync(to, ConnectRequest(77), 77, reply, CancellationToken.None);

        var request = await tracker.ReceiveAsync();
        await forger.SendAsync(ConnectReply(77, 0x666), request.RemoteEndPoint);
        await Eventually.UntilAsync(() => Task.FromResult(socket.Strays == 1), TimeSpan.FromSeconds(5), "the forged reply counted as a stray");
        Assert.That(exchange.IsCompleted, Is.False, "a reply from an address we did not ask is not taken");

        await tracker.SendAsync(ConnectReply(77, 0x42), request.RemoteEndPoint);
        var length = await exchange.WaitAsync(TimeSpan.FromSeconds(5));
        Assert.That(length, Is.EqualTo(16));
        Assert.That(BinaryPrimitives.ReadInt64BigEndian(reply.AsSpan(8)), Is.EqualTo(0x42));
    }

    [Test]
    public void OnlyTrackerRepliesAreClaimedOnTheSharedPort()
    {
        Assert.That(UdpTrackerSocket.LooksLikeTrackerReply(ConnectReply(1, 2)), Is.True);
        Assert.That(UdpTrackerSocket.LooksLikeTrackerReply("d1:ad2:id20:"u8), Is.False, "KRPC is the DHT's");
        Assert.That(UdpTrackerSocket.LooksLikeTrackerReply([0x41, 0, 0, 0, 0, 0, 0, 0]), Is.False, "a uTP SYN is uTP's");
        Assert.That(UdpTrackerSocket.LooksLikeTrackerReply([0, 0, 0, 1]), Is.False, "shorter than any reply");
        Assert.That(UdpTrackerSocket.LooksLikeTrackerReply([0, 0, 0, 4, 0, 0, 0, 0]), Is.False, "no action 4");
    }

    [Test]
    [CancelAfter(20_000)]
    public async Task ACancelledExchangeFreesItsTransaction()
    {
        using var silent = new UdpClient(new IPEndPoint(IPAddress.Loopback, 0));
        await using var socket = UdpTrackerSocket.Open(NullLogger.Instance);
        var to = (IPEndPoint)silent.Client.LocalEndPoint!;
        using var cancel = new CancellationTokenSource(TimeSpan.FromMilliseconds(200));
        Assert.That(async () => await socket.ExchangeAsync(to, ConnectRequest(5), 5, new byte[64], cancel.Token), Throws.InstanceOf<OperationCanceledException>());
        // The same transaction id can be used again: nothing was left behind in the table.
        using var again = new CancellationTokenSource(TimeSpan.FromMilliseconds(100));
        Assert.That(async () => await socket.ExchangeAsync(to, ConnectRequest(5), 5, new byte[64], again.Token), Throws.InstanceOf<OperationCanceledException>());
    }

    private static byte[] ConnectRequest(int transactionId)
    {
        var bytes = new byte[16];
        BinaryPrimitives.WriteInt64BigEndian(bytes, 0x41727101980);
        BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(12), transactionId);
        return bytes;
    }

    private static byte[] ConnectReply(int transactionId, long connectionId)
    {
        var bytes = new byte[16];
        BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(4), transactionId);
        BinaryPrimitives.WriteInt64BigEndian(bytes.AsSpan(8), connectionId);
        return bytes;
    }
}
