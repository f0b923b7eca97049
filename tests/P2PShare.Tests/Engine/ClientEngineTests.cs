using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging.Abstractions;
using P2PShare.Engine;
using P2PShare.Networking.Peers;
using P2PShare.Protocol.Wire;
using P2PShare.Tests.Support;

namespace P2PShare.Tests.Engine;

/// <summary>The engine's one listen port: incoming handshakes routed by info-hash, unknown ones closed, pending ones capped.</summary>
public class ClientEngineTests
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(10);

    /// <summary>A torrent that records what the engine hands it.</summary>
    private sealed class RecordingSink(Handshake ours) : ITorrentPeerSink
    {
        public Handshake OurHandshake { get; } = ours;

        public List<PeerConnection> Attached { get; } = [];

        public void Attach(PeerConnection connection)
        {
            lock (Attached)
                Attached.Add(connection);
        }
    }

    private static ClientEngine StartEngine(EngineSettings? settings = null) =>
        ClientEngine.Start((settings ?? new EngineSettings()) with { ListenAddress = IPAddress.Loopback, Port = 0, Dht = false }, TimeProvider.System, NullLoggerFactory.Instance);

    private static async Task<(Socket Socket, byte[] Reply, int Read)> HandshakeAsync(int port, ReadOnlyMemory<byte> infoHash)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync(IPAddress.Loopback, port);
        await socket.SendAsync(RawPeerWire.Handshake(infoHash.Span, RawPeerWire.NewPeerId()));
        var reply = new byte[RawPeerWire.HandshakeLength];
        var read = 0;
        using var timeout = new CancellationTokenSource(Bound);
        while (read < reply.Length)
        {
            var n = await socket.ReceiveAsync(reply.AsMemory(read), timeout.Token);
            if (n == 0)
                break;
            read += n;
        }
        return (socket, reply, read);
    }

    [Test, CancelAfter(30_000)]
    public async Task Handshakes_on_the_one_port_reach_the_torrent_they_name_and_an_unknown_one_is_closed()
    {
        await using var engine = StartEngine();
        var (first, _) = SessionSwarmTests.MakeTorrent(64 * 1024, 16 * 1024, seed: 1);
        var (second, _) = SessionSwarmTests.MakeTorrent(64 * 1024, 16 * 1024, seed: 2);
        var (unknown, _) = SessionSwarmTests.MakeTorrent(64 * 1024, 16 * 1024, seed: 3);
        var a = new RecordingSink(new Handshake(0, first.InfoHash, engine.PeerId));
        var b = new RecordingSink(new Handshake(0, second.InfoHash, engine.PeerId));
        engine.Register(first.InfoHash, a);
        engine.Register(second.InfoHash, b);

        var (s1, r1, n1) = await HandshakeAsync(engine.Port, first.InfoHash.Memory);
        var (s2, r2, n2) = await HandshakeAsync(engine.Port, second.InfoHash.Memory);
        var (s3, _, n3) = await HandshakeAsync(engine.Port, unknown.InfoHash.Memory);
        using (s1)
        using (s2)
        using (s3)
        {
            Assert.That(n1, Is.EqualTo(RawPeerWire.HandshakeLength));
            Assert.That(RawPeerWire.HandshakeProblem(r1, first.InfoHash.Span), Is.Null);
            Assert.That(n2, Is.EqualTo(RawPeerWire.HandshakeLength));
            Assert.That(RawPeerWire.HandshakeProblem(r2, second.InfoHash.Span), Is.Null);
            Assert.That(n3, Is.Zero, "a handshake for a torrent we do not have is closed unanswered");
            await Eventually.UntilAsync(() => a.Attached.Count == 1 && b.Attached.Count == 1, Bound, "each torrent to get its connection");
            Assert.That(a.Attached[0].Remote.InfoHash, Is.EqualTo(first.InfoHash));
            Assert.That(b.Attached[0].Remote.InfoHash, Is.EqualTo(second.InfoHash));
        }
        foreach (var connection in a.Attached.Concat(b.Attached))
            await connection.DisposeAsync();
    }

    [Test, CancelAfter(30_000)]
    public async Task Connections_that_never_handshake_are_capped_and_time_out()
    {
        await using var engine = StartEngine(new EngineSettings { MaxPendingHandshakes = 2, HandshakeTimeout = TimeSpan.FromSeconds(2) });
        var silent = new List<Socket>();
        try
        {
            for (var i = 0; i < 2; i++)
            {
                var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
                await socket.ConnectAsync(IPAddress.Loopback, engine.Port);
                silent.Add(socket);
            }
            await Eventually.UntilAsync(() => engine.PendingHandshakes == 2, Bound, "two handshakes pending");
            using var third = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            await third.ConnectAsync(IPAddress.Loopback, engine.Port);
            using (var timeout = new CancellationTokenSource(Bound))
                Assert.That(await third.ReceiveAsync(new byte[1], timeout.Token), Is.Zero, "over the cap: closed at once");
            Assert.That(engine.RefusedHandshakes, Is.EqualTo(1));
            // The silent ones are closed when the handshake timeout passes, and their places come back.
            foreach (var socket in silent)
            {
                using var timeout = new CancellationTokenSource(Bound);
                Assert.That(await socket.ReceiveAsync(new byte[1], timeout.Token), Is.Zero);
            }
            await Eventually.UntilAsync(() => engine.PendingHandshakes == 0, Bound, "no handshake pending");
        }
        finally
        {
            foreach (var socket in silent)
                socket.Dispose();
        }
    }

    [Test]
    public void Settings_are_validated_and_replaced_while_running()
    {
        Assert.That(() => new EngineSettings { MaxConnections = 0 }.Validate(), Throws.ArgumentException.With.Message.Contains("max connections"));
        Assert.That(() => new EngineSettings { MaxUploadRate = -1 }.Validate(), Throws.ArgumentException.With.Message.Contains("upload rate"));
    }

    [Test, CancelAfter(30_000)]
    public async Task New_settings_change_the_shared_limits_at_once()
    {
        await using var engine = StartEngine();
        engine.ApplySettings(engine.Settings with { MaxUploadRate = 1000 * 1024, MaxConnections = 1, MaxHalfOpen = 1 });
        Assert.That(engine.Resources.Upload.BytesPerSecond, Is.EqualTo(1000 * 1024));
        Assert.That(engine.Resources.Connections.TryOpen(), Is.True);
        Assert.That(engine.Resources.Connections.TryOpen(), Is.False, "one connection for the whole engine");
        Assert.That(() => engine.ApplySettings(engine.Settings with { Port = -5 }), Throws.ArgumentException);
    }
}
