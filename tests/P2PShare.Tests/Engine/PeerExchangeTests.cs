using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging.Abstractions;
using P2PShare.Bencode;
using P2PShare.Engine;
using P2PShare.Metainfo;
using P2PShare.Networking.Peers;
using P2PShare.Protocol.Extensions;
using P2PShare.Protocol.Wire;
using P2PShare.Tests.Support;

namespace P2PShare.Tests.Engine;

/// <summary>BEP 11 in the engine: the diff each peer is sent, and how received messages reach the dialer.</summary>
public class PeerExchangeTests
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(10);

    private static IPEndPoint Address(int i) => new(IPAddress.Parse($"10.{i / 65536 % 256}.{i / 256 % 256}.{i % 256}"), 6881);

    [Test]
    public void Pex_diff_sends_everything_but_the_recipient_first_then_nothing_until_a_change()
    {
        var current = new Dictionary<IPEndPoint, byte> { [Address(1)] = PexPeer.Reachable, [Address(2)] = 0, [Address(3)] = PexPeer.Seed };
        var sent = new HashSet<IPEndPoint>();

        var first = PeerExchange.Diff(current, sent, recipient: Address(2));

        Assert.That(first!.Added, Is.EquivalentTo(new[] { new PexPeer(Address(1), PexPeer.Reachable), new PexPeer(Address(3), PexPeer.Seed) }));
        Assert.That(first.Dropped, Is.Empty);
        Assert.That(PeerExchange.Diff(current, sent, Address(2)), Is.Null, "no change, no message");

        current.Remove(Address(1));
        current[Address(4)] = 0;
        var second = PeerExchange.Diff(current, sent, Address(2));

        Assert.That(second!.Added.Select(p => p.EndPoint), Is.EqualTo(new[] { Address(4) }));
        Assert.That(second.Dropped, Is.EqualTo(new[] { Address(1) }));
        Assert.That(sent, Is.EquivalentTo(new[] { Address(3), Address(4) }));
    }

    [Test]
    public void Pex_diff_sends_at_most_fifty_added_and_fifty_dropped_and_the_rest_later()
    {
        var current = Enumerable.Range(1, 120).ToDictionary(Address, _ => (byte)0);
        var sent = new HashSet<IPEndPoint>();
        var counts = new List<int>();
        while (PeerExchange.Diff(current, sent, recipient: null) is { } message)
            counts.Add(message.Added.Count);
        Assert.That(counts, Is.EqualTo(new[] { 50, 50, 20 }));

        current.Clear();
        counts.Clear();
        while (PeerExchange.Diff(current, sent, recipient: null) is { } message)
            counts.Add(message.Dropped.Count);
        Assert.That(counts, Is.EqualTo(new[] { 50, 50, 20 }));
        Assert.That(sent, Is.Empty);
    }

    [TestCase(true)]
    [TestCase(false)]
    public void Our_extension_handshake_announces_ut_pex_only_when_offered(bool offerPex)
    {
        var frame = ExtensionSupport.HandshakeFrame(metadataSize: 1000, listenPort: 6881, offerPex);
        var handshake = ExtensionHandshake.Parse(frame.AsMemory(ExtendedMessage.HeaderLength));
        Assert.That(handshake.IdOf("ut_pex"), Is.EqualTo(offerPex ? ExtensionSupport.LocalUtPexId : null));
        Assert.That(handshake.IdOf("ut_metadata"), Is.EqualTo(ExtensionSupport.LocalUtMetadataId));
    }

    [Test, CancelAfter(20_000)]
    public async Task Received_pex_feeds_the_dialer_and_a_peer_sending_too_often_is_ignored()
    {
        await using var swarm = await Swarm.StartAsync(isPrivate: false);
        var time = swarm.Time;

        swarm.Receive(Address(1));
        time.Advance(TimeSpan.FromSeconds(1));
        swarm.Receive(Address(2)); // The first two may come close together (libtorrent sends one at once, then on its timer).
        time.Advance(TimeSpan.FromSeconds(1));
        swarm.Receive(Address(3)); // Third within the interval: ignored.
        Assert.That(swarm.Known(), Is.EquivalentTo(new[] { Address(1), Address(2) }));

        time.Advance(PeerExchange.MinReceiveInterval);
        swarm.Receive(Address(4));
        Assert.That(swarm.Known(), Is.EquivalentTo(new[] { Address(1), Address(2), Address(4) }));
    }

    [Test, CancelAfter(20_000)]
    public async Task Received_pex_for_a_private_torrent_is_ignored()
    {
        await using var swarm = await Swarm.StartAsync(isPrivate: true);
        swarm.Receive(Address(1));
        Assert.That(swarm.Known(), Is.Empty);
    }

    [Test, CancelAfter(20_000)]
    public async Task Malformed_pex_is_a_protocol_violation()
    {
        await using var swarm = await Swarm.StartAsync(isPrivate: false);
        Assert.Throws<PeerProtocolException>(() => swarm.Exchange.OnMessage(swarm.Peer, "d5:added5:abcdee"u8.ToArray()));
    }

    /// <summary>One torrent session's parts around one peer over a real loopback connection, on a manual clock.</summary>
    private sealed class Swarm : IAsyncDisposable
    {
        private readonly List<PeerConnection> _connections = [];
        private TcpListener? _listener;

        private Swarm(bool isPrivate)
        {
            var info = new BDictionary
            {
                ["name"] = new BString("x"), ["length"] = new BInteger(16384), ["piece length"] = new BInteger(16384),
                ["pieces"] = new BString(new byte[20]),
            };
            if (isPrivate)
                info["private"] = new BInteger(1);
            Torrent = TorrentParser.Parse(BencodeEncoder.Encode(new BDictionary { ["info"] = info }));
            var options = new EngineOptions();
            Dialer = new PeerDialer(Gate, new Handshake(0, Torrent.InfoHash, PeerId.CreateOurs(new Random(1))), options,
                new PeerBans(Time, TimeSpan.FromHours(1)), Time, new Random(2), NullLogger.Instance, _ => { }, (_, _) => { });
            Exchange = new PeerExchange(Torrent, Peers, Dialer, Time, NullLogger.Instance);
        }

        public object Gate { get; } = new();

        public ManualTimeProvider Time { get; } = new();

        public Torrent Torrent { get; }

        public List<PeerSession> Peers { get; } = [];

        public PeerDialer Dialer { get; }

        public PeerExchange Exchange { get; }

        public PeerSession Peer { get; private set; } = null!;

        public static async Task<Swarm> StartAsync(bool isPrivate)
        {
            var swarm = new Swarm(isPrivate);
            try
            {
                swarm._listener = new TcpListener(IPAddress.Loopback, 0);
                swarm._listener.Start();
                var theirs = new Handshake(0, swarm.Torrent.InfoHash, PeerId.CreateOurs(new Random(3)));
                var ours = new Handshake(0, swarm.Torrent.InfoHash, PeerId.CreateOurs(new Random(4)));
                var listener = swarm._listener;
                var accept = Task.Run(async () => await PeerConnection.AcceptAsync(await listener.AcceptSocketAsync(), _ => theirs, Bound, CancellationToken.None));
                var outgoing = await PeerConnection.ConnectAsync((IPEndPoint)listener.LocalEndpoint, ours, Bound, CancellationToken.None);
                swarm._connections.Add(outgoing);
                swarm._connections.Add(await accept.WaitAsync(Bound));
                swarm.Peer = new PeerSession(outgoing, swarm.Torrent.PieceCount, swarm.Time)
                {
                    Extensions = new ExtensionHandshake { Messages = new Dictionary<string, byte> { ["ut_pex"] = 9 } },
                };
                swarm.Peers.Add(swarm.Peer);
                return swarm;
            }
            catch
            {
                await swarm.DisposeAsync();
                throw;
            }
        }

        public void Receive(params IPEndPoint[] added)
        {
            lock (Gate)
                Exchange.OnMessage(Peer, new PexMessage { Added = added.Select(a => new PexPeer(a)).ToList() }.Encode());
        }

        public List<IPEndPoint> Known()
        {
            lock (Gate)
                return Dialer.KnownAddresses.ToList();
        }

        public async ValueTask DisposeAsync()
        {
            foreach (var connection in _connections)
                await connection.DisposeAsync();
            _listener?.Stop();
        }
    }
}
