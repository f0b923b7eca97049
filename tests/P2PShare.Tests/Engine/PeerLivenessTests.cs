using System.Net;
using Microsoft.Extensions.Logging.Abstractions;
using P2PShare.Engine;
using P2PShare.Metainfo;
using P2PShare.Networking.Peers;
using P2PShare.Protocol;
using P2PShare.Protocol.Wire;
using P2PShare.Tests.Support;

namespace P2PShare.Tests.Engine;

/// <summary>
/// Keep-alives, idle timeouts and eviction at the peer limit: a session on a manual clock, raw peers over in-memory
/// connections (the transport seam), so minutes pass in microseconds and nothing depends on the machine's speed.
/// </summary>
public class PeerLivenessTests
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(10);

    private sealed class Fixture : IAsyncDisposable
    {
        private readonly CancellationTokenSource _stop = new();
        private readonly Task _run;

        public Fixture(EngineOptions options, bool seed = true)
        {
            (Torrent, var data) = SessionSwarmTests.MakeTorrent(256 * 1024, 32 * 1024, seed: 7);
            var have = new Bitfield(Torrent.PieceCount);
            if (seed)
                have.SetAll();
            Session = new TorrentSession(Torrent, new InMemoryPieceStore(Torrent, data), have, PeerId.CreateOurs(new Random(1)), options, Clock, new Random(1),
                NullLogger.Instance, new SharedResources(Budget, new P2PShare.Networking.TokenBucket(0, Clock), new P2PShare.Networking.TokenBucket(0, Clock), TcpPeerTransport.Instance));
            _run = Session.RunAsync(_stop.Token);
        }

        public ManualTimeProvider Clock { get; } = new();

        public ConnectionBudget Budget { get; } = new(100, 10);

        public Torrent Torrent { get; }

        public TorrentSession Session { get; }

        /// <summary>A raw peer connects (in memory) and handshakes; returns its end of the connection.</summary>
        public async Task<Stream> ConnectRawPeerAsync(int port)
        {
            var (ours, theirs) = InMemoryDuplexStream.CreatePair();
            var accept = PeerConnection.HandshakeIncomingAsync(ours, new IPEndPoint(IPAddress.Loopback, port),
                h => h.Equals(Torrent.InfoHash) ? Session.OurHandshake : null, "memory", CancellationToken.None);
            await theirs.WriteAsync(RawPeerWire.Handshake(Torrent.InfoHash.Span, RawPeerWire.NewPeerId()));
            var reply = new byte[RawPeerWire.HandshakeLength];
            await theirs.ReadExactlyAsync(reply).AsTask().WaitAsync(Bound);
            Session.Attach(await accept.WaitAsync(Bound));
            return theirs;
        }

        /// <summary>Moves the clock in one-second steps (the session's tick), letting the session run after each.</summary>
        public async Task AdvanceAsync(TimeSpan span)
        {
            for (var t = TimeSpan.Zero; t < span; t += TimeSpan.FromSeconds(1))
            {
                Clock.Advance(TimeSpan.FromSeconds(1));
                await Task.Yield();
            }
            await Task.Delay(20);
        }

        public async ValueTask DisposeAsync()
        {
            await _stop.CancelAsync();
            await Session.DisposeAsync();
            await _run.WaitAsync(Bound).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }
    }

    /// <summary>Reads everything the session sends until <paramref name="until"/> says stop; keep-alives are returned as empty frames.</summary>
    private static async Task<List<byte[]>> ReadFramesAsync(Stream stream, Func<List<byte[]>, bool> until)
    {
        var frames = new List<byte[]>();
        var header = new byte[4];
        while (!until(frames))
        {
            await stream.ReadExactlyAsync(header).AsTask().WaitAsync(Bound);
            var length = System.Buffers.Binary.BinaryPrimitives.ReadInt32BigEndian(header);
            var body = new byte[length];
            await stream.ReadExactlyAsync(body).AsTask().WaitAsync(Bound);
            frames.Add(body);
        }
        return frames;
    }

    private static async Task<bool> IsClosedAsync(Stream stream)
    {
        var buffer = new byte[64 * 1024];
        using var timeout = new CancellationTokenSource(Bound);
        try
        {
            while (true)
            {
                if (await stream.ReadAsync(buffer, timeout.Token) == 0)
                    return true;
            }
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    [Test, CancelAfter(30_000)]
    public async Task After_90_seconds_of_silence_the_session_sends_a_keep_alive()
    {
        await using var fixture = new Fixture(new EngineOptions());
        var peer = await fixture.ConnectRawPeerAsync(1);
        // The seed's bitfield comes first; then nothing until the keep-alive interval has passed.
        var frames = await ReadFramesAsync(peer, f => f.Count == 1);
        Assert.That(frames[0][0], Is.EqualTo(RawPeerWire.Bitfield));
        await fixture.AdvanceAsync(TimeSpan.FromSeconds(85));
        var early = new byte[4];
        var pending = peer.ReadAsync(early).AsTask();
        await Task.Delay(100);
        Assert.That(pending.IsCompleted, Is.False, "no keep-alive before 90 s");
        await fixture.AdvanceAsync(TimeSpan.FromSeconds(6));
        Assert.That(await pending.WaitAsync(Bound), Is.EqualTo(4));
        Assert.That(early, Is.EqualTo(new byte[4]), "a keep-alive is a zero length prefix");
    }

    [Test, CancelAfter(30_000)]
    public async Task A_peer_silent_for_three_minutes_is_dropped_and_one_that_sends_keep_alives_stays()
    {
        await using var fixture = new Fixture(new EngineOptions());
        var silent = await fixture.ConnectRawPeerAsync(1);
        var talking = await fixture.ConnectRawPeerAsync(2);
        Assert.That(fixture.Session.Progress().Peers, Is.EqualTo(2));
        for (var minute = 0; minute < 4; minute++)
        {
            await talking.WriteAsync(new byte[4]);
            await Task.Delay(20);
            await fixture.AdvanceAsync(TimeSpan.FromSeconds(60));
        }
        Assert.That(await IsClosedAsync(silent), Is.True, "the silent peer's connection was closed");
        await Eventually.UntilAsync(() => fixture.Session.Progress().Peers == 1, Bound, "only the talking peer left");
        Assert.That(fixture.Budget.Open, Is.EqualTo(1), "the dropped peer's slot went back to the engine");
    }

    [Test, CancelAfter(30_000)]
    public async Task At_the_peer_limit_an_idle_peer_makes_room_for_a_new_one()
    {
        await using var fixture = new Fixture(new EngineOptions { MaxPeers = 2 });
        var idle1 = await fixture.ConnectRawPeerAsync(1);
        var idle2 = await fixture.ConnectRawPeerAsync(2);
        await fixture.AdvanceAsync(TimeSpan.FromSeconds(5));
        await idle2.WriteAsync(new byte[4]);
        await Task.Delay(20);
        await fixture.AdvanceAsync(TimeSpan.FromSeconds(10));
        var newcomer = await fixture.ConnectRawPeerAsync(3);
        // The one silent longest goes; the newcomer is served (it gets the seed's bitfield).
        Assert.That(await IsClosedAsync(idle1), Is.True, "the longest-silent idle peer was evicted");
        var frames = await ReadFramesAsync(newcomer, f => f.Count == 1);
        Assert.That(frames[0][0], Is.EqualTo(RawPeerWire.Bitfield));
        Assert.That(fixture.Session.Progress().Peers, Is.EqualTo(2));
        Assert.That(fixture.Budget.Open, Is.EqualTo(2));
    }

    [Test, CancelAfter(30_000)]
    public async Task At_the_peer_limit_peers_that_want_data_are_not_evicted()
    {
        await using var fixture = new Fixture(new EngineOptions { MaxPeers = 2 });
        var a = await fixture.ConnectRawPeerAsync(1);
        var b = await fixture.ConnectRawPeerAsync(2);
        await a.WriteAsync(RawPeerWire.Message(RawPeerWire.Interested, []));
        await b.WriteAsync(RawPeerWire.Message(RawPeerWire.Interested, []));
        await Task.Delay(20);
        await fixture.AdvanceAsync(TimeSpan.FromSeconds(15));
        var newcomer = await fixture.ConnectRawPeerAsync(3);
        Assert.That(await IsClosedAsync(newcomer), Is.True, "refused: both slots are held by useful peers");
        Assert.That(fixture.Session.Progress().Peers, Is.EqualTo(2));
    }

    [Test, CancelAfter(30_000)]
    public async Task A_raised_peer_limit_applies_while_the_torrent_runs()
    {
        await using var fixture = new Fixture(new EngineOptions { MaxPeers = 1 });
        var a = await fixture.ConnectRawPeerAsync(1);
        await a.WriteAsync(RawPeerWire.Message(RawPeerWire.Interested, []));
        await Task.Delay(20);
        var refused = await fixture.ConnectRawPeerAsync(2);
        Assert.That(await IsClosedAsync(refused), Is.True, "one slot, held by a useful peer");

        fixture.Session.ApplyOptions(new EngineOptions { MaxPeers = 2 });
        var admitted = await fixture.ConnectRawPeerAsync(3);
        var frames = await ReadFramesAsync(admitted, f => f.Count == 1);
        Assert.That(frames[0][0], Is.EqualTo(RawPeerWire.Bitfield), "admitted and served without a restart");
        Assert.That(fixture.Session.Progress().Peers, Is.EqualTo(2));
    }

    [Test]
    public async Task Options_out_of_range_are_refused_and_the_running_ones_stay()
    {
        await using var fixture = new Fixture(new EngineOptions { MaxPeers = 3 });
        Assert.That(() => fixture.Session.ApplyOptions(new EngineOptions { MaxPeers = 0 }), Throws.ArgumentException.With.Message.Contains("max peers"));
        Assert.That(() => new EngineOptions { IdleTimeout = TimeSpan.FromSeconds(10) }.Validate(), Throws.ArgumentException.With.Message.Contains("idle timeout"));
        Assert.That(() => new EngineOptions { MaxDownloadRate = -1 }.Validate(), Throws.ArgumentException.With.Message.Contains("download rate"));
    }
}
