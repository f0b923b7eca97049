using System.Buffers.Binary;
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
/// The Fast extension (BEP 6) in a torrent session: raw peers over in-memory connections, with or without the Fast
/// bit in their handshake, on a manual clock. 2 MiB in 64 pieces of 32 KiB (two blocks each).
/// </summary>
public class FastExtensionTests
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(10);
    private const int Length = 2 * 1024 * 1024;
    private const int PieceLength = 32 * 1024;
    private const int Block = RawPeerWire.BlockLength;

    private sealed class Fixture : IAsyncDisposable
    {
        private readonly CancellationTokenSource _stop = new();
        private readonly Task _run;

        public Fixture(bool seed, EngineOptions? options = null)
        {
            (Torrent, Data) = SessionSwarmTests.MakeTorrent(Length, PieceLength, seed: 11);
            var have = new Bitfield(Torrent.PieceCount);
            if (seed)
                have.SetAll();
            Session = new TorrentSession(Torrent, seed ? new InMemoryPieceStore(Torrent, Data) : new InMemoryPieceStore(Torrent), have,
                PeerId.CreateOurs(new Random(1)), options ?? new EngineOptions(), Clock, new Random(1), NullLogger.Instance,
                new SharedResources(new ConnectionBudget(100, 10), new P2PShare.Networking.TokenBucket(0, Clock), new P2PShare.Networking.TokenBucket(0, Clock),
                    TcpPeerTransport.Instance));
            _run = Session.RunAsync(_stop.Token);
        }

        public ManualTimeProvider Clock { get; } = new();

        public Torrent Torrent { get; }

        public byte[] Data { get; }

        public TorrentSession Session { get; }

        public int[] AllowedFastFor(int port) =>
            AllowedFastSet.Generate(new IPEndPoint(IPAddress.Loopback, port).Address, Torrent.InfoHash.Span, Torrent.PieceCount);

        /// <summary>A raw peer at 127.0.0.1:<paramref name="port"/> connects in memory and handshakes, with the Fast bit or without.</summary>
        public async Task<Stream> ConnectAsync(int port, bool fast)
        {
            var (ours, theirs) = InMemoryDuplexStream.CreatePair();
            var accept = PeerConnection.HandshakeIncomingAsync(ours, new IPEndPoint(IPAddress.Loopback, port),
                h => h.Equals(Torrent.InfoHash) ? Session.OurHandshake : null, "memory", CancellationToken.None);
            await theirs.WriteAsync(RawPeerWire.Handshake(Torrent.InfoHash.Span, RawPeerWire.NewPeerId(), fast: fast));
            var reply = new byte[RawPeerWire.HandshakeLength];
            await theirs.ReadExactlyAsync(reply).AsTask().WaitAsync(Bound);
            Assert.That(reply[20 + 7] & 0x04, Is.EqualTo(0x04), "our handshake sets the Fast bit");
            Session.Attach(await accept.WaitAsync(Bound));
            return theirs;
        }

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

    /// <summary>The next message (id + payload) the session sent; keep-alives are skipped.</summary>
    private static async Task<byte[]> NextAsync(Stream stream)
    {
        var header = new byte[4];
        while (true)
        {
            await stream.ReadExactlyAsync(header).AsTask().WaitAsync(Bound);
            var length = BinaryPrimitives.ReadInt32BigEndian(header);
            if (length == 0)
                continue;
            var body = new byte[length];
            await stream.ReadExactlyAsync(body).AsTask().WaitAsync(Bound);
            return body;
        }
    }

    /// <summary>Messages until (and with) the first that <paramref name="stop"/> accepts.</summary>
    private static async Task<List<byte[]>> ReadUntilAsync(Stream stream, Func<byte[], bool> stop)
    {
        var frames = new List<byte[]>();
        while (true)
        {
            var frame = await NextAsync(stream);
            frames.Add(frame);
            if (stop(frame))
                return frames;
        }
    }

    private static async Task<bool> IsClosedAsync(Stream stream)
    {
        var buffer = new byte[64 * 1024];
        using var timeout = new CancellationTokenSource(Bound);
        try
        {
            while (await stream.ReadAsync(buffer, timeout.Token) > 0)
            {
            }
            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    private static int IndexOf(byte[] frame) => BinaryPrimitives.ReadInt32BigEndian(frame.AsSpan(1));

    private static byte[] Simple(byte id) => RawPeerWire.Message(id, []);

    private static byte[] Concat(byte[] frames) => frames;

    [Test, CancelAfter(30_000)]
    public async Task A_seed_sends_have_all_then_the_allowed_fast_set_to_a_fast_peer_and_a_bitfield_to_another()
    {
        await using var fixture = new Fixture(seed: true);
        var fast = await fixture.ConnectAsync(1, fast: true);
        var first = await NextAsync(fast);
        Assert.That(first, Is.EqualTo(new[] { RawPeerWire.HaveAll }), "have-all instead of a bitfield");
        var expected = fixture.AllowedFastFor(1);
        Assert.That(expected, Has.Length.EqualTo(10));
        var allowed = new List<int>();
        for (var i = 0; i < expected.Length; i++)
        {
            var frame = await NextAsync(fast);
            Assert.That(frame[0], Is.EqualTo(RawPeerWire.AllowedFast));
            allowed.Add(IndexOf(frame));
        }
        Assert.That(allowed, Is.EqualTo(expected), "BEP 6's canonical set for 127.0.0.0/24");

        var plain = await fixture.ConnectAsync(2, fast: false);
        Assert.That((await NextAsync(plain))[0], Is.EqualTo(RawPeerWire.Bitfield), "no BEP 6 message to a peer without the bit");
        Assert.That(fixture.Session.PeerList().Select(p => p.Fast), Is.EquivalentTo(new[] { true, false }));
    }

    [Test, CancelAfter(30_000)]
    public async Task A_leecher_with_nothing_sends_have_none_to_a_fast_peer()
    {
        await using var fixture = new Fixture(seed: false);
        var peer = await fixture.ConnectAsync(1, fast: true);
        Assert.That(await NextAsync(peer), Is.EqualTo(new[] { RawPeerWire.HaveNone }));
        Assert.That((await NextAsync(peer))[0], Is.EqualTo(RawPeerWire.AllowedFast), "the allowed-fast set does not depend on what we have");
    }

    [Test, CancelAfter(30_000)]
    public async Task While_choked_a_fast_peer_gets_allowed_fast_pieces_and_a_reject_for_anything_else()
    {
        await using var fixture = new Fixture(seed: true);
        var peer = await fixture.ConnectAsync(1, fast: true);
        var allowed = fixture.AllowedFastFor(1);
        await ReadUntilAsync(peer, f => f[0] == RawPeerWire.AllowedFast && IndexOf(f) == allowed[^1]);
        var other = Enumerable.Range(0, fixture.Torrent.PieceCount).First(i => !allowed.Contains(i));
        // Not interested, so still choked.
        await peer.WriteAsync(RawPeerWire.BlockMessage(RawPeerWire.Request, other, Block, Block));
        await peer.WriteAsync(RawPeerWire.BlockMessage(RawPeerWire.Request, allowed[0], 0, Block));
        var reject = await NextAsync(peer);
        Assert.That(RawPeerWire.ParseBlockMessage(reject, RawPeerWire.RejectRequest), Is.EqualTo((other, Block, Block)));
        var piece = RawPeerWire.ParsePiece(await NextAsync(peer));
        Assert.That(piece, Is.Not.Null, "the allowed-fast request is served while choked");
        Assert.That(piece!.Index, Is.EqualTo(allowed[0]));
        Assert.That(piece.Data, Is.EqualTo(fixture.Data.AsSpan(allowed[0] * PieceLength, Block).ToArray()));
    }

    /// <summary>Sends a request for every block and returns them (piece, begin).</summary>
    private static async Task<HashSet<(int, int)>> RequestEverythingAsync(Stream peer, int pieceCount)
    {
        var requested = new HashSet<(int, int)>();
        var batch = new List<byte>();
        for (var index = 0; index < pieceCount; index++)
        {
            for (var begin = 0; begin < PieceLength; begin += Block)
            {
                batch.AddRange(RawPeerWire.BlockMessage(RawPeerWire.Request, index, begin, Block));
                requested.Add((index, begin));
            }
        }
        await peer.WriteAsync(batch.ToArray());
        return requested;
    }

    /// <summary>Reads until every request has an answer (block or reject); fails on a second answer to one request.</summary>
    private static async Task<(List<(int, int)> Served, List<(int, int)> Rejected, bool Choked)> ReadAnswersAsync(Stream peer, HashSet<(int, int)> requested)
    {
        var served = new List<(int, int)>();
        var rejected = new List<(int, int)>();
        var choked = false;
        var open = new HashSet<(int, int)>(requested);
        while (open.Count > 0)
        {
            var frame = await NextAsync(peer);
            if (frame[0] == RawPeerWire.Choke)
                choked = true;
            (int, int)? answered = null;
            if (RawPeerWire.ParsePiece(frame) is { } block)
            {
                served.Add((block.Index, block.Begin));
                answered = (block.Index, block.Begin);
            }
            else if (RawPeerWire.ParseBlockMessage(frame, RawPeerWire.RejectRequest) is { } reject)
            {
                Assert.That(reject.Length, Is.EqualTo(Block), "a reject repeats the request's length");
                rejected.Add((reject.Index, reject.Begin));
                answered = (reject.Index, reject.Begin);
            }
            if (answered is { } key)
                Assert.That(open.Remove(key), Is.True, $"one answer per request ({key})");
        }
        return (served, rejected, choked);
    }

    [Test, CancelAfter(30_000)]
    public async Task Choking_a_fast_peer_rejects_its_pending_requests_except_allowed_fast_ones()
    {
        await using var fixture = new Fixture(seed: true);
        var peer = await fixture.ConnectAsync(1, fast: true);
        var allowed = fixture.AllowedFastFor(1);
        await peer.WriteAsync(Simple(RawPeerWire.Interested));
        await ReadUntilAsync(peer, f => f[0] == RawPeerWire.Unchoke);
        var requested = await RequestEverythingAsync(peer, fixture.Torrent.PieceCount);
        // The session's sends back up (nothing is read), so most requests are still pending when it chokes.
        await peer.WriteAsync(Simple(3)); // not interested: the next rechoke chokes the peer
        await Eventually.UntilAsync(() => fixture.Session.PeerList().Single().Flags.Contains('I') == false, Bound, "the session saw 'not interested'");
        await fixture.AdvanceAsync(TimeSpan.FromSeconds(11));

        var (served, rejected, choked) = await ReadAnswersAsync(peer, requested);
        Assert.That(choked, Is.True);
        Assert.That(rejected, Has.Count.GreaterThan(fixture.Torrent.PieceCount), "most requests were still pending at the choke");
        Assert.That(rejected.Where(r => allowed.Contains(r.Item1)), Is.Empty, "allowed-fast requests are not rejected");
        Assert.That(served.Where(s => allowed.Contains(s.Item1)).ToList(), Has.Count.EqualTo(allowed.Length * 2), "and are served after the choke");
    }

    [Test, CancelAfter(30_000)]
    public async Task A_cancel_of_a_pending_request_is_answered_with_a_reject()
    {
        await using var fixture = new Fixture(seed: true);
        var peer = await fixture.ConnectAsync(1, fast: true);
        await peer.WriteAsync(Simple(RawPeerWire.Interested));
        await ReadUntilAsync(peer, f => f[0] == RawPeerWire.Unchoke);
        var requested = await RequestEverythingAsync(peer, fixture.Torrent.PieceCount);
        var last = fixture.Torrent.PieceCount - 1;
        await peer.WriteAsync(RawPeerWire.BlockMessage(RawPeerWire.Cancel, last, Block, Block));
        var (served, rejected, _) = await ReadAnswersAsync(peer, requested);
        Assert.That(rejected, Is.EqualTo(new[] { (last, Block) }));
        Assert.That(served, Has.Count.EqualTo(requested.Count - 1));
    }

    [Test, CancelAfter(30_000)]
    public async Task A_rejected_block_goes_to_another_peer_at_once()
    {
        await using var fixture = new Fixture(seed: false, new EngineOptions { MinRequestQueue = 4, MaxRequestQueue = 4 });
        var a = await fixture.ConnectAsync(1, fast: true);
        await a.WriteAsync(Concat([.. Simple(RawPeerWire.HaveAll), .. Simple(RawPeerWire.Unchoke)]));
        var fromA = new List<(int Index, int Begin, int Length)>();
        while (fromA.Count < 4)
        {
            if (RawPeerWire.ParseRequest(await NextAsync(a)) is { } r)
                fromA.Add(r);
        }
        var rejected = fromA[0];
        await a.WriteAsync(RawPeerWire.BlockMessage(RawPeerWire.RejectRequest, rejected.Index, rejected.Begin, rejected.Length));
        await Eventually.UntilAsync(() => fixture.Session.PeerList().Single().Outstanding == 3, Bound, "the reject was applied");

        // No time passes: without the reject the block would wait for the request timeout (20 s).
        var b = await fixture.ConnectAsync(2, fast: true);
        await b.WriteAsync(Concat([.. Simple(RawPeerWire.HaveAll), .. Simple(RawPeerWire.Unchoke)]));
        (int, int, int)? firstToB = null;
        while (firstToB is null)
            firstToB = RawPeerWire.ParseRequest(await NextAsync(b));
        Assert.That(firstToB, Is.EqualTo(rejected), "B is asked for the block A rejected");
    }

    [Test, CancelAfter(30_000)]
    public async Task Requests_to_a_fast_peer_survive_its_choke_and_are_dropped_by_a_plain_one([Values] bool fast)
    {
        await using var fixture = new Fixture(seed: false, new EngineOptions { MinRequestQueue = 4, MaxRequestQueue = 4 });
        var peer = await fixture.ConnectAsync(1, fast);
        var all = new byte[(fixture.Torrent.PieceCount + 7) / 8];
        Array.Fill(all, (byte)0xFF);
        await peer.WriteAsync(Concat([.. fast ? Simple(RawPeerWire.HaveAll) : RawPeerWire.Message(RawPeerWire.Bitfield, all), .. Simple(RawPeerWire.Unchoke)]));
        var requests = new List<(int Index, int Begin, int Length)>();
        while (requests.Count < 4)
        {
            if (RawPeerWire.ParseRequest(await NextAsync(peer)) is { } r)
                requests.Add(r);
        }
        await peer.WriteAsync(Simple(RawPeerWire.Choke));
        foreach (var (index, begin, length) in requests)
            await peer.WriteAsync(RawPeerWire.PieceMessage(index, begin, fixture.Data.AsSpan(index * PieceLength + begin, length)));
        if (fast)
        {
            // Both blocks of each requested piece came after the choke: the pieces verify and the peer stays.
            await Eventually.UntilAsync(() => fixture.Session.HaveSnapshot().CountSet == requests.Select(r => r.Index).Distinct().Count(), Bound, "pieces verified");
            Assert.That(fixture.Session.PeerList(), Has.Count.EqualTo(1));
        }
        else
        {
            Assert.That(await IsClosedAsync(peer), Is.True, "blocks for requests a choke dropped are a protocol violation");
            Assert.That(fixture.Session.HaveSnapshot().CountSet, Is.Zero);
        }
    }

    [Test, CancelAfter(30_000)]
    public async Task While_choked_only_allowed_fast_pieces_are_requested()
    {
        await using var fixture = new Fixture(seed: false);
        var peer = await fixture.ConnectAsync(1, fast: true);
        // Out of range and repeated indices are ignored; piece 5 is the only one we may fetch.
        await peer.WriteAsync(Concat([.. Simple(RawPeerWire.HaveAll), .. RawPeerWire.IndexMessage(RawPeerWire.AllowedFast, 5000),
            .. RawPeerWire.IndexMessage(RawPeerWire.AllowedFast, 5), .. RawPeerWire.IndexMessage(RawPeerWire.AllowedFast, 5),
            .. RawPeerWire.IndexMessage(RawPeerWire.SuggestPiece, 9)]));
        var requests = new List<(int Index, int Begin, int Length)>();
        while (requests.Count < 2)
        {
            if (RawPeerWire.ParseRequest(await NextAsync(peer)) is { } r)
                requests.Add(r);
        }
        Assert.That(requests, Is.EquivalentTo(new[] { (5, 0, Block), (5, Block, Block) }));
        Assert.That(fixture.Session.PeerList().Single().Outstanding, Is.EqualTo(2), "nothing else is asked of a choking peer");
    }

    private static IEnumerable<TestCaseData> Violations()
    {
        yield return new TestCaseData(false, new[] { Simple(RawPeerWire.HaveAll) }).SetName("have-all without the Fast bit");
        yield return new TestCaseData(false, new[] { Simple(RawPeerWire.HaveNone) }).SetName("have-none without the Fast bit");
        yield return new TestCaseData(false, new[] { RawPeerWire.IndexMessage(RawPeerWire.AllowedFast, 1) }).SetName("allowed-fast without the Fast bit");
        yield return new TestCaseData(true, new[] { RawPeerWire.IndexMessage(RawPeerWire.Have, 1), Simple(RawPeerWire.HaveAll) }).SetName("have-all after a have");
        yield return new TestCaseData(true, new[] { Simple(RawPeerWire.HaveNone), Simple(RawPeerWire.HaveNone) }).SetName("a second have-none");
        yield return new TestCaseData(true, new[] { Simple(RawPeerWire.HaveAll), RawPeerWire.BlockMessage(RawPeerWire.RejectRequest, 3, 0, Block) })
            .SetName("a reject for a block never requested");
    }

    [TestCaseSource(nameof(Violations)), CancelAfter(30_000)]
    public async Task A_peer_breaking_BEP_6_is_dropped(bool fast, byte[][] messages)
    {
        await using var fixture = new Fixture(seed: false);
        var peer = await fixture.ConnectAsync(1, fast);
        foreach (var message in messages)
            await peer.WriteAsync(message);
        Assert.That(await IsClosedAsync(peer), Is.True);
        await Eventually.UntilAsync(() => fixture.Session.PeerList().Count == 0, Bound, "the peer was removed");
    }
}
