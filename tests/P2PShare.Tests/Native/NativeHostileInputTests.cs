using P2PShare.Engine.Native;
using P2PShare.Protocol.Native;
using static P2PShare.Tests.Native.NativeTestSupport;
using P2PShare.Tests.Support;

namespace P2PShare.Tests.Native;

public class NativeHostileInputTests
{
    private const int PieceSize = 65536;
    private string _directory = null!;

    [SetUp]
    public void SetUp() => _directory = NewTempDirectory();

    [TearDown]
    public void TearDown() => DeleteDirectory(_directory);

    private async Task<(NativeNode Seeder, byte[] Data)> StartSeederAsync(NativeCodecLimits? limits = null)
    {
        var source = Path.Combine(_directory, "source.bin");
        var data = WriteRandomFile(source, 4 * PieceSize, seed: 7);
        var options = Options(source);
        if (limits is not null)
            options = options with { Limits = limits };
        return (await StartAsync(options), data);
    }

    [Test]
    public async Task An_endless_line_closes_that_connection_only()
    {
        var (seeder, data) = await StartSeederAsync(NativeCodecLimits.Default with { MaxLineLength = 256 * 1024 });
        await using var _ = seeder;
        await using (var attacker = await FakeNativePeer.ConnectAsync(seeder.ListenPort))
        {
            await attacker.SendAsync(FakeNativePeer.Handshake("aaaaaaaaaaaaaaaa", "x", null, null));
            Assert.That(await attacker.ReadTypeAsync("handshake"), Is.Not.Null);
            var chunk = new string('x', 64 * 1024);
            try
            {
                for (var i = 0; i < 64; i++)
                    await attacker.SendRawAsync(chunk);
            }
            catch (IOException)
            {
                // The node may close while we are still sending: that is the point.
            }
            Assert.That(await attacker.WasClosedAsync(), Is.True, "the node must drop a line past its limit");
        }
        await using var honest = await FakeNativePeer.ConnectAsync(seeder.ListenPort);
        await honest.SendAsync(FakeNativePeer.Handshake("bbbbbbbbbbbbbbbb", "x", null, null));
        await honest.SendAsync("""{"type":"request","index":1}""");
        var piece = await honest.ReadTypeAsync("piece");
        Assert.That(Convert.FromBase64String((string)piece!["data"]!), Is.EqualTo(data.AsSpan(PieceSize, PieceSize).ToArray()), "the node still serves others");
    }

    [Test]
    public async Task Connections_past_the_pending_handshake_limit_are_closed_at_once()
    {
        const int Pending = 4;
        var source = Path.Combine(_directory, "source.bin");
        WriteRandomFile(source, 4 * PieceSize, seed: 7);
        // A handshake timeout far beyond the test's waits: only the bound can close the extra connection in time.
        await using var seeder = await StartAsync(Options(source) with { MaxPendingHandshakes = Pending, ConnectTimeout = TimeSpan.FromMinutes(5) });
        var silent = new List<FakeNativePeer>();
        try
        {
            for (var i = 0; i < Pending; i++)
            {
                silent.Add(await FakeNativePeer.ConnectAsync(seeder.ListenPort));
                // Part of a line and no newline: the node holds it while waiting for the rest.
                await silent[^1].SendRawAsync("{\"type\":\"handshake\",\"id\":\"");
            }
            await using (var extra = await FakeNativePeer.ConnectAsync(seeder.ListenPort))
                Assert.That(await extra.WasClosedAsync(TimeSpan.FromSeconds(10)), Is.True, "the connection past the limit is closed without waiting for its handshake");

            // A pending handshake that ends frees its slot for an honest peer.
            await silent[0].DisposeAsync();
            await AnsweredOnceASlotIsFreeAsync(seeder.ListenPort);
        }
        finally
        {
            foreach (var peer in silent)
                await peer.DisposeAsync();
        }
    }

    /// <summary>The node frees a slot when it reads the close of a pending connection: retry (bounded) until a handshake is answered.</summary>
    private static async Task AnsweredOnceASlotIsFreeAsync(int port)
    {
        var deadline = DateTime.UtcNow + Deadline;
        while (DateTime.UtcNow < deadline)
        {
            await using var peer = await FakeNativePeer.ConnectAsync(port);
            await peer.SendAsync(FakeNativePeer.Handshake("bbbbbbbbbbbbbbbb", "x", null, null));
            try
            {
                if (await peer.ReadAsync() is { } first && (string?)first["type"] == "handshake")
                    return;
            }
            catch (IOException)
            {
                // Closed as one too many: the slot is not free yet.
            }
        }
        Assert.Fail("no pending-handshake slot was freed");
    }

    [Test]
    public async Task A_peer_that_never_reads_is_dropped_once_its_answers_fill_the_queue()
    {
        var (seeder, _) = await StartSeederAsync(NativeCodecLimits.Default with { MaxQueuedMessages = 256 });
        await using var _ = seeder;
        await using (var attacker = await FakeNativePeer.ConnectAsync(seeder.ListenPort, receiveBuffer: 4096))
        {
            await attacker.SendAsync(FakeNativePeer.Handshake("aaaaaaaaaaaaaaaa", "x", null, null, extensions: 1));
            await WaitUntilAsync(() => seeder.ConnectedPeerIds().Count == 1, "the attacker to be connected");
            // Requests for a piece the seeder lacks each get a "donthave"; the attacker reads none of them. Enough of them
            // to fill the socket buffers on both sides (a few MiB on loopback), so the node's queue must grow past its bound.
            var batch = string.Concat(Enumerable.Repeat("{\"type\":\"request\",\"index\":999}\n", 10_000));
            try
            {
                for (var i = 0; i < 60 && seeder.ConnectedPeerIds().Count > 0; i++)
                    await attacker.SendRawAsync(batch);
            }
            catch (IOException)
            {
                // The node may close while we are still sending: that is the point.
            }
            await WaitUntilAsync(() => seeder.ConnectedPeerIds().Count == 0, "the node to drop the peer that does not read", TimeSpan.FromSeconds(15));
        }
        await using var honest = await FakeNativePeer.ConnectAsync(seeder.ListenPort);
        await honest.SendAsync(FakeNativePeer.Handshake("bbbbbbbbbbbbbbbb", "x", null, null, extensions: 1));
        await honest.SendAsync("""{"type":"request","index":999}""");
        Assert.That(await honest.ReadTypeAsync("donthave"), Is.Not.Null, "the node still answers others");
    }

    [Test]
    public async Task Invalid_json_and_nonsense_are_dropped_and_the_connection_stays_usable()
    {
        var (seeder, data) = await StartSeederAsync();
        await using var _ = seeder;
        await using var peer = await FakeNativePeer.ConnectAsync(seeder.ListenPort);
        await peer.SendAsync(FakeNativePeer.Handshake("cccccccccccccccc", "x", null, null));
        await peer.SendAsync("{this is not json");
        await peer.SendAsync("[1,2,3]");
        await peer.SendAsync("""{"type":"request","index":999999999999}""");
        await peer.SendAsync("""{"type":"request","index":-5}""");
        await peer.SendAsync("""{"type":"request","index":77}""");
        await peer.SendAsync("""{"type":"bitfield","pieces":"all"}""");
        await peer.SendAsync("""{"type":"peers","peers":[{"id":"zzzzzzzzzzzzzzzz","host":"not-an-ip","port":1}]}""");
        await peer.SendAsync("\r");
        await peer.SendAsync("""{"type":"request","index":3}""");
        var piece = await peer.ReadTypeAsync("piece");
        Assert.That((int)piece!["index"]!, Is.EqualTo(3));
        Assert.That(Convert.FromBase64String((string)piece["data"]!), Is.EqualTo(data.AsSpan(3 * PieceSize).ToArray()));
    }

    [Test]
    public async Task Wrong_length_and_unrequested_pieces_are_not_written()
    {
        var data = new byte[4 * PieceSize];
        new Random(8).NextBytes(data);
        var hash = Sha1Hex(data);
        await using var fake = FakeNativePeer.Listen();
        var target = Path.Combine(_directory, "target.bin");
        await using var leecher = await StartAsync(Options(target, fake.Port) with { MaxOutstandingRequestsPerPeer = 2, RequestTimeout = TimeSpan.FromMilliseconds(500) });
        await fake.AcceptAsync();
        Assert.That(await fake.ReadTypeAsync("handshake"), Is.Not.Null);
        await fake.SendAsync(FakeNativePeer.Handshake("dddddddddddddddd", "../../etc/evil", data.Length, hash));
        await fake.SendAsync("""{"type":"bitfield","pieces":[0,1,2,3]}""");
        var first = (int)(await fake.ReadTypeAsync("request"))!["index"]!;
        Assert.That(first, Is.EqualTo(0));
        // Piece 3 was not requested (only 0 and 1 are outstanding); piece 0 arrives one byte short.
        await fake.SendAsync(FakeNativePeer.Piece(3, new byte[PieceSize]));
        await fake.SendAsync(FakeNativePeer.Piece(0, data.AsSpan(0, PieceSize - 1)));
        await fake.SendAsync(FakeNativePeer.Piece(0, new byte[PieceSize * 2]));
        // From here on, answer every request honestly.
        _ = Task.Run(async () =>
        {
            try
            {
                while (await fake.ReadTypeAsync("request") is { } request)
                {
                    var index = (int)request["index"]!;
                    await fake.SendAsync(FakeNativePeer.Piece(index, data.AsSpan(index * PieceSize, PieceSize)));
                }
            }
            catch (Exception error) when (error is IOException or TimeoutException or ObjectDisposedException)
            {
            }
        });
        await WaitAsync(leecher.Completion, "the download after the bad pieces");
        Assert.That(File.ReadAllBytes(target), SameBytes.As(data));
        Assert.That(Directory.GetFiles(_directory), Is.EquivalentTo(new[] { target }), "nothing is written but the target file");
        Assert.That(File.Exists(Path.Combine(Path.GetTempPath(), "..", "etc", "evil")), Is.False);
    }

    [Test]
    public async Task A_huge_file_size_is_refused_without_creating_anything()
    {
        await using var fake = FakeNativePeer.Listen();
        var target = Path.Combine(_directory, "target.bin");
        await using var leecher = await StartAsync(Options(target, fake.Port) with { MaxReconnectDelay = TimeSpan.FromSeconds(30) });
        await fake.AcceptAsync();
        Assert.That(await fake.ReadTypeAsync("handshake"), Is.Not.Null);
        await fake.SendAsync(FakeNativePeer.Handshake("eeeeeeeeeeeeeeee", "huge.bin", 1L << 60, new string('a', 40)));
        await fake.SendAsync("""{"type":"bitfield","pieces":[0]}""");
        Assert.That(await fake.WasClosedAsync(), Is.True, "the node refuses the peer");
        Assert.That(leecher.GetProgress().FileKnown, Is.False);
        Assert.That(Directory.GetFiles(_directory), Is.Empty, "no data file and no resume file");
    }

    [Test]
    public async Task A_piece_size_larger_than_the_limit_is_refused()
    {
        await using var fake = FakeNativePeer.Listen();
        var target = Path.Combine(_directory, "target.bin");
        await using var leecher = await StartAsync(Options(target, fake.Port) with { MaxReconnectDelay = TimeSpan.FromSeconds(30) });
        await fake.AcceptAsync();
        Assert.That(await fake.ReadTypeAsync("handshake"), Is.Not.Null);
        await fake.SendAsync(FakeNativePeer.Handshake("ffffffffffffffff", "x", 100L << 20, new string('a', 40), pieceSize: 100 << 20));
        Assert.That(await fake.WasClosedAsync(), Is.True);
        Assert.That(Directory.GetFiles(_directory), Is.Empty);
    }
}
