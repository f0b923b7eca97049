using System.Buffers;
using Microsoft.Extensions.Logging.Abstractions;
using P2PShare.Engine;
using P2PShare.Metainfo;
using P2PShare.Networking.Peers;
using P2PShare.Protocol;
using P2PShare.Protocol.Wire;
using P2PShare.Tests.Support;

namespace P2PShare.Tests.Engine.V2;

/// <summary>
/// A v2 torrent started from a magnet knows its file's root but not its piece layer: a piece that completes before the
/// layer arrives is held (not asked for again), then verified when the layer comes: stored if it matches, released to be
/// fetched again only if it does not. Verifier, scheduler and an in-memory store, no network.
/// </summary>
[TestFixture]
public sealed class PieceBeforeLayerTests
{
    private const int PieceLength = 4 * PieceDownload.BlockLength;
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(10);

    private sealed class Rig
    {
        private readonly List<Task> _work = [];

        public Rig(V2TestTorrent source, long? maxHeldBytes = null)
        {
            Source = source;
            Torrent = source.WithoutLayer();
            var time = new ManualTimeProvider();
            Have = new Bitfield(Torrent.PieceCount);
            Store = new InMemoryPieceStore(Torrent);
            var options = new EngineOptions();
            Scheduler = new RequestScheduler(Torrent, Have, new PiecePicker(Torrent.PieceCount, new Random(1)), options, time);
            var bans = new PeerBans(time, TimeSpan.FromHours(1));
            var dialer = new PeerDialer(Gate, new Handshake(0, Torrent.InfoHash, PeerId.CreateOurs(new Random(1))), options, bans, time, new Random(1),
                NullLogger.Instance, Track, (_, _) => { });
            var judge = new BadDataJudge(Gate, [], bans, dialer, NullLogger.Instance);
            Verifier = new PieceVerifier(Gate, Torrent, Store, Have, [], Scheduler, dialer, judge, Track, CancellationToken.None, NullLogger.Instance)
            {
                MaxAwaitingLayerBytes = maxHeldBytes ?? PieceVerifier.DefaultMaxAwaitingLayerBytes,
            };
            Verifier.PieceVerified += index =>
            {
                lock (Verified)
                    Verified.Add(index);
            };
            All = new Bitfield(Torrent.PieceCount);
            All.SetAll();
        }

        public V2TestTorrent Source { get; }

        public Torrent Torrent { get; }

        public object Gate { get; } = new();

        public Bitfield Have { get; }

        /// <summary>What a seeder has: every piece.</summary>
        public Bitfield All { get; }

        public InMemoryPieceStore Store { get; }

        public RequestScheduler Scheduler { get; }

        public PieceVerifier Verifier { get; }

        public List<int> Verified { get; } = [];

        /// <summary>The picker chooses the next piece to ask a seeder for, as the scheduler does (marking it busy); null: none left.</summary>
        public int? PickNext()
        {
            lock (Gate)
            {
                var next = Scheduler.Picker.PickNew(All, Have);
                if (next is { } index)
                    Scheduler.Picker.SetBusy(index, true);
                return next;
            }
        }

        /// <summary>Every block of piece <paramref name="index"/> arrives (one flipped bit in <paramref name="corruptBlock"/>) and the piece is verified.</summary>
        public async Task CompleteAsync(int index, int corruptBlock = -1)
        {
            var piece = new PieceDownload(index, Torrent.PieceSize(index));
            var sender = new object();
            var fileBytes = (int)Math.Max(0, Math.Min(piece.Size, Source.Data.Length - Torrent.PieceOffset(index)));
            for (var b = 0; b < piece.BlockCount; b++)
            {
                var block = new byte[piece.BlockSize(b)];
                var start = b * PieceDownload.BlockLength;
                if (start < fileBytes)
                    Source.Data.AsSpan((int)Torrent.PieceOffset(index) + start, Math.Min(block.Length, fileBytes - start)).CopyTo(block);
                if (b == corruptBlock)
                    block[0] ^= 1;
                Assert.That(piece.TryAccept(start, new ReadOnlySequence<byte>(block), sender, out _), Is.True);
            }
            lock (Gate)
                Verifier.Start(piece);
            await WorkDoneAsync();
        }

        /// <summary>The layer arrives from a peer, proven: added to the torrent and announced, under the lock, as the fetcher does.</summary>
        public async Task LayerArrivesAsync()
        {
            lock (Gate)
            {
                Assert.That(Torrent.V2!.TryAddLayer(Source.Root, Source.Layer), Is.True);
                Verifier.OnLayerAdded(Torrent.Files.Single(f => !f.IsPadding));
            }
            await WorkDoneAsync();
        }

        public async Task WorkDoneAsync()
        {
            while (true)
            {
                Task[] work;
                lock (Gate)
                    work = [.. _work];
                await Task.WhenAll(work).WaitAsync(Bound);
                lock (Gate)
                {
                    if (_work.Count == work.Length)
                        return;
                }
            }
        }

        private void Track(Task task)
        {
            lock (Gate)
                _work.Add(task);
        }
    }

    [Test, CancelAfter(30_000)]
    public async Task PiecesCompletedBeforeTheLayerAreHeldNotAskedForAgainAndStoredWhenTheLayerArrives()
    {
        // 2.5 pieces: three pieces, the last one short (and padded to the piece boundary).
        var rig = new Rig(V2TestTorrent.Create(V2TestTorrent.RandomData(2 * PieceLength + PieceLength / 2, seed: 1), PieceLength));
        Assert.That(rig.Torrent.V2!.TryGetLayer(rig.Source.Root, out _), Is.False, "a magnet's torrent has no layer yet");

        var first = rig.PickNext()!.Value;
        var second = rig.PickNext()!.Value;
        await rig.CompleteAsync(first);
        await rig.CompleteAsync(second);

        lock (rig.Gate)
        {
            Assert.That(rig.Verifier.AwaitingLayerCount, Is.EqualTo(2), "both pieces held");
            Assert.That(rig.Have.CountSet, Is.Zero, "not judged yet");
            Assert.That(rig.Scheduler.Picker.IsBusy(first) && rig.Scheduler.Picker.IsBusy(second), Is.True);
        }
        Assert.That(rig.Store.Content, Is.All.EqualTo((byte)0), "nothing written before it is verified");
        var third = rig.PickNext();
        Assert.That(third, Is.Not.Null.And.Not.EqualTo(first).And.Not.EqualTo(second), "the picker offers only the piece not yet downloaded");
        Assert.That(rig.PickNext(), Is.Null, "and no held piece is asked for again");

        await rig.LayerArrivesAsync();

        lock (rig.Gate)
        {
            Assert.That(rig.Verifier.AwaitingLayerCount, Is.Zero);
            Assert.That(rig.Have[first] && rig.Have[second], Is.True, "the held pieces verified against the layer");
            Assert.That(rig.Verifier.DroppedBeforeLayer, Is.Zero);
        }
        Assert.That(rig.Verified, Is.EquivalentTo(new[] { first, second }));
        await rig.CompleteAsync(third!.Value);
        await rig.Verifier.Completed.WaitAsync(Bound);
        Assert.That(rig.Store.Content.AsSpan(0, rig.Source.Data.Length).SequenceEqual(rig.Source.Data), Is.True);
        TestContext.Out.WriteLine($"held {2} pieces until the layer came; {rig.Verified.Count} verified, none fetched twice");
    }

    [Test, CancelAfter(30_000)]
    public async Task AHeldPieceThatDoesNotMatchTheLayerIsDiscardedAndAskedForAgain()
    {
        var rig = new Rig(V2TestTorrent.Create(V2TestTorrent.RandomData(3 * PieceLength, seed: 2), PieceLength));
        var good = rig.PickNext()!.Value;
        var bad = rig.PickNext()!.Value;
        await rig.CompleteAsync(good);
        await rig.CompleteAsync(bad, corruptBlock: 2);
        lock (rig.Gate)
            Assert.That(rig.Verifier.AwaitingLayerCount, Is.EqualTo(2), "a corrupt piece cannot be told apart before the layer");

        await rig.LayerArrivesAsync();

        lock (rig.Gate)
        {
            Assert.That(rig.Have[good], Is.True);
            Assert.That(rig.Have[bad], Is.False, "the mismatch is not stored");
            Assert.That(rig.Scheduler.Picker.IsBusy(bad), Is.False, "and is released");
        }
        Assert.That(rig.Verified, Is.EqualTo(new[] { good }));
        var offset = (int)rig.Torrent.PieceOffset(bad);
        Assert.That(rig.Store.Content.AsSpan(offset, PieceLength).ContainsAnyExcept((byte)0), Is.False);
        var again = new[] { rig.PickNext(), rig.PickNext() };
        Assert.That(again, Does.Contain(bad), "the discarded piece is asked for again");
    }

    [Test, CancelAfter(30_000)]
    public async Task PiecesBeyondTheMemoryCapAreDroppedWithoutBlameAndFetchedAgain()
    {
        var rig = new Rig(V2TestTorrent.Create(V2TestTorrent.RandomData(3 * PieceLength, seed: 3), PieceLength), maxHeldBytes: PieceLength);
        var held = rig.PickNext()!.Value;
        var dropped = rig.PickNext()!.Value;
        await rig.CompleteAsync(held);
        await rig.CompleteAsync(dropped);

        lock (rig.Gate)
        {
            Assert.That(rig.Verifier.AwaitingLayerCount, Is.EqualTo(1));
            Assert.That(rig.Verifier.DroppedBeforeLayer, Is.EqualTo(1));
            Assert.That(rig.Scheduler.Picker.IsBusy(held), Is.True);
            Assert.That(rig.Scheduler.Picker.IsBusy(dropped), Is.False, "over the cap: released to be fetched again");
        }
        await rig.LayerArrivesAsync();
        Assert.That(rig.Verified, Is.EqualTo(new[] { held }));
    }
}
