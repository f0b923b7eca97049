using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging.Abstractions;
using P2PShare.Bencode;
using P2PShare.Engine;
using P2PShare.Metainfo;
using P2PShare.Networking.Peers;
using P2PShare.Networking.Utp;
using P2PShare.Protocol.Extensions;
using P2PShare.Protocol.Wire;
using P2PShare.Tests.Support;
using P2PShare.Tests.Utp;

namespace P2PShare.Tests.Engine;

/// <summary>
/// BEP 11's uTP flag (0x04), as libtorrent uses it: sent for peers whose connection runs over uTP; read, it sends the
/// next dial of a peer whose transport we have not learnt ourselves to uTP first (with <c>--transport both</c>).
/// </summary>
[CancelAfter(20_000)]
public sealed class PeerExchangeUtpFlagTests
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(10);

    private static IPEndPoint Address(int i) => new(IPAddress.Parse($"10.0.0.{i}"), 6881);

    [TestCase(true, false, "utp", PexPeer.Reachable | PexPeer.SupportsUtp)]
    [TestCase(false, true, "utp+rc4", PexPeer.Seed | PexPeer.SupportsUtp)]
    [TestCase(true, true, "tcp", PexPeer.Reachable | PexPeer.Seed)]
    [TestCase(false, false, "tcp+rc4", 0)]
    public void Flags_sent_for_a_peer_carry_utp_only_when_its_connection_is_over_utp(bool outgoing, bool seed, string transport, int expected)
    {
        Assert.That(PeerExchange.FlagsOf(outgoing, seed, transport), Is.EqualTo((byte)expected));
    }

    [Test]
    public async Task A_peer_flagged_utp_is_dialled_over_utp_first_and_an_unflagged_or_known_one_is_not_touched(CancellationToken ct)
    {
        await using var link = new InMemoryDatagramLink { DropAll = true };
        await using var manager = new UtpSocketManager(link.A);
        var transport = new TcpAndUtpTransport(manager, TcpPeerTransport.Instance, TimeSpan.FromMilliseconds(250));
        transport.Remember(Address(3), usesUtp: false); // we reached it over TCP ourselves: our experience wins
        await using var swarm = await OnePeerSwarm.StartAsync(SharedResources.Standalone(TimeProvider.System) with { Transport = transport }, ct);

        swarm.Receive(new PexPeer(Address(1), PexPeer.SupportsUtp | PexPeer.Reachable), new PexPeer(Address(2), PexPeer.Seed),
            new PexPeer(Address(3), PexPeer.SupportsUtp));

        Assert.That(transport.Known(Address(1)), Is.True, "flagged uTP: the next dial goes to uTP first");
        Assert.That(transport.Known(Address(2)), Is.Null, "no flag says nothing: the usual TCP-first race");
        Assert.That(transport.Known(Address(3)), Is.False, "a hint does not override what our own dial learnt");
        lock (swarm.Gate)
            Assert.That(swarm.Dialer.KnownAddresses, Is.EquivalentTo(new[] { Address(1), Address(2), Address(3) }));
    }

    [Test]
    public async Task With_a_single_transport_the_flag_changes_nothing(CancellationToken ct)
    {
        await using var swarm = await OnePeerSwarm.StartAsync(SharedResources.Standalone(TimeProvider.System), ct);
        swarm.Receive(new PexPeer(Address(1), PexPeer.SupportsUtp));
        lock (swarm.Gate)
        {
            Assert.That(swarm.Dialer.KnownAddresses, Is.EquivalentTo(new[] { Address(1) }));
            Assert.That(swarm.Dialer.HintUtp([Address(1)]), Is.Zero, "TCP only: nothing to choose");
        }
    }

    /// <summary>A public torrent's PEX around one peer connected over loopback TCP.</summary>
    private sealed class OnePeerSwarm : IAsyncDisposable
    {
        private readonly List<PeerConnection> _connections = [];
        private readonly TcpListener _listener = new(IPAddress.Loopback, 0);

        private OnePeerSwarm(SharedResources shared)
        {
            var info = new BDictionary
            {
                ["name"] = new BString("x"), ["length"] = new BInteger(16384), ["piece length"] = new BInteger(16384),
                ["pieces"] = new BString(new byte[20]),
            };
            Torrent = TorrentParser.Parse(BencodeEncoder.Encode(new BDictionary { ["info"] = info }));
            Dialer = new PeerDialer(Gate, new Handshake(0, Torrent.InfoHash, PeerId.CreateOurs(new Random(1))), new EngineOptions(),
                new PeerBans(Time, TimeSpan.FromHours(1)), Time, new Random(2), NullLogger.Instance, _ => { }, (_, _) => { }, shared);
            Exchange = new PeerExchange(Torrent, [], Dialer, Time, NullLogger.Instance);
        }

        public object Gate { get; } = new();
        public ManualTimeProvider Time { get; } = new();
        public Torrent Torrent { get; }
        public PeerDialer Dialer { get; }
        public PeerExchange Exchange { get; }
        public PeerSession Peer { get; private set; } = null!;

        public static async Task<OnePeerSwarm> StartAsync(SharedResources shared, CancellationToken ct)
        {
            var swarm = new OnePeerSwarm(shared);
            try
            {
                swarm._listener.Start();
                var theirs = new Handshake(0, swarm.Torrent.InfoHash, PeerId.CreateOurs(new Random(3)));
                var ours = new Handshake(0, swarm.Torrent.InfoHash, PeerId.CreateOurs(new Random(4)));
                var listener = swarm._listener;
                var accept = Task.Run(async () => await PeerConnection.AcceptAsync(await listener.AcceptSocketAsync(ct), _ => theirs, Bound, ct), ct);
                var outgoing = await PeerConnection.ConnectAsync((IPEndPoint)listener.LocalEndpoint, ours, Bound, ct);
                swarm._connections.Add(outgoing);
                swarm._connections.Add(await accept.WaitAsync(Bound, ct));
                swarm.Peer = new PeerSession(outgoing, swarm.Torrent.PieceCount, swarm.Time);
                return swarm;
            }
            catch
            {
                await swarm.DisposeAsync();
                throw;
            }
        }

        public void Receive(params PexPeer[] added)
        {
            lock (Gate)
                Exchange.OnMessage(Peer, new PexMessage { Added = added }.Encode());
        }

        public async ValueTask DisposeAsync()
        {
            foreach (var connection in _connections)
                await connection.DisposeAsync();
            _listener.Stop();
        }
    }
}
