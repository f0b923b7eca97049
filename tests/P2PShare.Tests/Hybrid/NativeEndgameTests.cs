using System.Security.Cryptography;
using Microsoft.Extensions.Logging.Abstractions;
using P2PShare.Bencode;
using P2PShare.Engine;
using P2PShare.Engine.Native;
using P2PShare.Metainfo;
using P2PShare.Protocol;
using P2PShare.Protocol.Wire;
using P2PShare.Tests.Engine;
using P2PShare.Tests.Support;

namespace P2PShare.Tests.Hybrid;

/// <summary>
/// Endgame for native pieces (docs/hybrid-node.md): which piece an idle native peer may fetch a second time, and the
/// verifier keeping the first copy and dropping the other, so a piece is written once.
/// </summary>
public sealed class NativeEndgameTests
{
    private const int PieceLength = 2 * PieceDownload.BlockLength;

    [Test]
    public void No_second_copy_while_some_wanted_piece_is_not_being_fetched()
    {
        var (picker, have) = Picker(6);
        var peerHas = All(6);
        picker.SetBusy(0, true);
        picker.SetBusy(1, true);
        Assert.That(NativeEndgame.Pick(picker, peerHas, have, new HashSet<int>(), new HashSet<int>()), Is.Null,
            "pieces 2 to 5 are not being fetched by anyone: no endgame yet");
    }

    [Test]
    public void Once_every_missing_piece_is_in_flight_the_rarest_one_the_peer_has_is_fetched_again()
    {
        var (picker, have) = Picker(6);
        have[0] = true;
        have[1] = true;
        picker.MarkHave(0);
        picker.MarkHave(1);
        for (var piece = 2; piece < 6; piece++)
            picker.SetBusy(piece, true);
        var peerHas = All(6);
        peerHas[5] = false;
        var others = new Bitfield(6);
        others[2] = true;
        others[4] = true;
        others[5] = true;
        picker.AddPeer(others);
        picker.AddPeer(All(6));
        // Availability: 2 → 2, 3 → 1, 4 → 2, 5 → 2 (the peer lacks 5). Rarest it has: 3.
        Assert.That(NativeEndgame.Pick(picker, peerHas, have, new HashSet<int>(), new HashSet<int>()), Is.EqualTo(3));
        Assert.That(NativeEndgame.Pick(picker, peerHas, have, new HashSet<int> { 3 }, new HashSet<int>()), Is.EqualTo(2),
            "a piece already fetched twice is not fetched a third time");
        Assert.That(NativeEndgame.Pick(picker, peerHas, have, new HashSet<int> { 3 }, new HashSet<int> { 2, 4 }), Is.Null,
            "the peer is fetching the others itself, and lacks piece 5");
    }

    [Test]
    public void Skipped_pieces_do_not_hold_back_the_endgame()
    {
        var (picker, have) = Picker(4);
        picker.Priorities.Set(3, P2PShare.Engine.Picking.PiecePriority.Skip);
        picker.SetBusy(0, true);
        picker.SetBusy(1, true);
        picker.SetBusy(2, true);
        Assert.That(NativeEndgame.Pick(picker, All(4), have, new HashSet<int>(), new HashSet<int>()), Is.Not.Null);
    }

    [Test]
    [CancelAfter(20_000)]
    public async Task Two_copies_of_a_piece_are_written_once_and_both_sources_get_their_verdict(CancellationToken cancellationToken)
    {
        var data = new byte[3 * PieceLength];
        new Random(5).NextBytes(data);
        var torrent = TorrentOf(data);
        var time = new ManualTimeProvider();
        var gate = new object();
        var have = new Bitfield(torrent.PieceCount);
        var store = new CountingStore(new InMemoryPieceStore(torrent));
        var options = new EngineOptions();
        var bans = new PeerBans(time, TimeSpan.FromHours(1));
        var scheduler = new RequestScheduler(torrent, have, new PiecePicker(torrent.PieceCount, new Random(1)), options, time);
        var work = new List<Task>();
        void Track(Task task)
        {
            lock (work)
                work.Add(task);
        }
        var dialer = new PeerDialer(gate, new Handshake(0, torrent.InfoHash, PeerId.CreateOurs(new Random(1))), options, bans, time, new Random(1),
            NullLogger.Instance, Track, (_, _) => { });
        var peers = new List<PeerSession>();
        var judge = new BadDataJudge(gate, peers, bans, dialer, NullLogger.Instance);
        var verifier = new PieceVerifier(gate, torrent, store, have, peers, scheduler, dialer, judge, Track, CancellationToken.None, NullLogger.Instance);
        var verifiedEvents = 0;
        verifier.PieceVerified += _ => Interlocked.Increment(ref verifiedEvents);

        var first = new FakeWholeSource();
        var second = new FakeWholeSource();
        var third = new FakeWholeSource();
        // Two copies handed over at once (one is dropped while the other is checked), a third after the piece is stored.
        var verdicts = new[] { Deliver(gate, verifier, torrent, data, 1, first, cancellationToken), Deliver(gate, verifier, torrent, data, 1, second, cancellationToken) };
        var both = await Task.WhenAll(verdicts).WaitAsync(TimeSpan.FromSeconds(10), cancellationToken);
        var late = await Deliver(gate, verifier, torrent, data, 1, third, cancellationToken).WaitAsync(TimeSpan.FromSeconds(10), cancellationToken);
        Task[] pending;
        lock (work)
            pending = [.. work];
        await Task.WhenAll(pending).WaitAsync(TimeSpan.FromSeconds(10), cancellationToken);

        Assert.That(both, Is.All.True, "each source learns that the piece is done");
        Assert.That(late, Is.True);
        Assert.That(store.WritesOf(1), Is.EqualTo(1), "the piece is written once");
        Assert.That(verifiedEvents, Is.EqualTo(1));
        Assert.That(have[1], Is.True);
        Assert.That(first.VerifiedBytes + second.VerifiedBytes + third.VerifiedBytes, Is.EqualTo(PieceLength), "only the copy that was checked is credited");
        Assert.That(verifier.VerifiedBytes, Is.EqualTo(PieceLength));
        TestContext.Out.WriteLine($"credited: {first.VerifiedBytes}, {second.VerifiedBytes}, {third.VerifiedBytes} bytes; writes of piece 1: {store.WritesOf(1)}");
    }

    private static Task<bool> Deliver(object gate, PieceVerifier verifier, Torrent torrent, byte[] data, int index, FakeWholeSource source, CancellationToken cancellationToken)
    {
        var piece = new PieceDownload(index, torrent.PieceSize(index));
        data.AsSpan((int)torrent.PieceOffset(index), piece.Size).CopyTo(piece.Buffer);
        lock (gate)
            source.InFlight++;
        return WholePieceDelivery.DeliverAsync(gate, verifier, piece, source, cancellationToken);
    }

    private static (PiecePicker Picker, Bitfield Have) Picker(int pieces) => (new PiecePicker(pieces, new Random(1)), new Bitfield(pieces));

    private static Bitfield All(int pieces)
    {
        var all = new Bitfield(pieces);
        for (var i = 0; i < pieces; i++)
            all[i] = true;
        return all;
    }

    private static Torrent TorrentOf(byte[] data)
    {
        var hashes = new List<byte>();
        for (var offset = 0; offset < data.Length; offset += PieceLength)
            hashes.AddRange(SHA1.HashData(data.AsSpan(offset, Math.Min(PieceLength, data.Length - offset))));
        var info = new BDictionary { ["name"] = new BString("data.bin"), ["length"] = new BInteger(data.Length), ["piece length"] = new BInteger(PieceLength), ["pieces"] = new BString(hashes.ToArray()) };
        return TorrentParser.Parse(BencodeEncoder.Encode(new BDictionary { ["info"] = info }));
    }

    private sealed class FakeWholeSource : IPieceSender
    {
        private readonly PieceVerdicts _verdicts = new();

        public int InFlight { get; set; }

        public long VerifiedBytes { get; private set; }

        public Task<bool> AwaitVerdict(int pieceIndex) => _verdicts.Await(pieceIndex);

        public void OnPieceVerified(int pieceIndex, int bytes)
        {
            VerifiedBytes += bytes;
            _verdicts.Decide(pieceIndex, passed: true);
        }

        public void OnPieceFailed(int pieceIndex) => _verdicts.Decide(pieceIndex, passed: false);
    }

    private sealed class CountingStore(InMemoryPieceStore inner) : IPieceStore
    {
        private readonly Dictionary<int, int> _writes = [];

        public int WritesOf(int piece)
        {
            lock (_writes)
                return _writes.GetValueOrDefault(piece);
        }

        public ValueTask WritePieceAsync(int pieceIndex, ReadOnlyMemory<byte> data, CancellationToken cancellationToken)
        {
            lock (_writes)
                _writes[pieceIndex] = _writes.GetValueOrDefault(pieceIndex) + 1;
            return inner.WritePieceAsync(pieceIndex, data, cancellationToken);
        }

        public ValueTask ReadAsync(int pieceIndex, int offset, Memory<byte> destination, CancellationToken cancellationToken) =>
            inner.ReadAsync(pieceIndex, offset, destination, cancellationToken);

        public ValueTask FlushAsync(CancellationToken cancellationToken) => inner.FlushAsync(cancellationToken);

        public ValueTask DisposeAsync() => inner.DisposeAsync();
    }
}
