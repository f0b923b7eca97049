using System.Buffers;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using Microsoft.Extensions.Logging.Abstractions;
using P2PShare.Bencode;
using P2PShare.Engine;
using P2PShare.Engine.Disk;
using P2PShare.Metainfo;
using P2PShare.Networking.Peers;
using P2PShare.Protocol;
using P2PShare.Protocol.Wire;
using P2PShare.Tests.Support;

namespace P2PShare.Tests.Engine;

/// <summary>
/// The verifier and the judge on their own: pieces assembled by hand from blocks of peers that are real
/// loopback connections (nothing is sent over them), verified, stored or blamed.
/// </summary>
public partial class PieceVerifierTests
{
    private const int PieceLength = 4 * PieceDownload.BlockLength;
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(10);
    private readonly List<IAsyncDisposable> _connections = [];
    private readonly List<TcpListener> _listeners = [];

    [TearDown]
    public async Task CloseConnections()
    {
        foreach (var connection in _connections)
            await connection.DisposeAsync();
        foreach (var listener in _listeners)
            listener.Stop();
        _connections.Clear();
        _listeners.Clear();
    }

    private sealed class Swarm
    {
        private readonly List<Task> _work = [];

        public Swarm(byte[] data, int seed = 1, Func<Torrent, IPieceStore>? store = null, DiskQueue? queue = null, CancellationToken lifetime = default)
        {
            Data = data;
            var hashes = new List<byte>();
            for (var offset = 0; offset < data.Length; offset += PieceLength)
                hashes.AddRange(SHA1.HashData(data.AsSpan(offset, Math.Min(PieceLength, data.Length - offset))));
            var info = new BDictionary { ["name"] = new BString("data.bin"), ["length"] = new BInteger(data.Length), ["piece length"] = new BInteger(PieceLength), ["pieces"] = new BString(hashes.ToArray()) };
            Torrent = TorrentParser.Parse(BencodeEncoder.Encode(new BDictionary { ["info"] = info }));
            Time = new ManualTimeProvider();
            Have = new Bitfield(Torrent.PieceCount);
            Store = new InMemoryPieceStore(Torrent);
            var used = store?.Invoke(Torrent) ?? Store;
            Bans = new PeerBans(Time, TimeSpan.FromHours(1));
            var options = new EngineOptions();
            Scheduler = new RequestScheduler(Torrent, Have, new PiecePicker(Torrent.PieceCount, new Random(seed)), options, Time);
            Dialer = new PeerDialer(Gate, new Handshake(0, Torrent.InfoHash, PeerId.CreateOurs(new Random(seed))), options, Bans, Time, new Random(seed),
                NullLogger.Instance, Track, (_, _) => { });
            var judge = new BadDataJudge(Gate, Peers, Bans, Dialer, NullLogger.Instance);
            Verifier = new PieceVerifier(Gate, Torrent, used, Have, Peers, Scheduler, Dialer, judge, Track, lifetime, NullLogger.Instance, queue, Time);
            Verifier.PieceVerified += index =>
            {
                lock (Verified)
                    Verified.Add(index);
            };
        }

        public byte[] Data { get; }

        public Torrent Torrent { get; }

        public ManualTimeProvider Time { get; }

        public object Gate { get; } = new();

        public Bitfield Have { get; }

        public InMemoryPieceStore Store { get; }

        public PeerBans Bans { get; }

        public List<PeerSession> Peers { get; } = [];

        public RequestScheduler Scheduler { get; }

        public PeerDialer Dialer { get; }

        public PieceVerifier Verifier { get; }

        public List<int> Verified { get; } = [];

        /// <summary>Assembles piece <paramref name="index"/> from <paramref name="senderOfBlock"/>, optionally corrupting one block, and verifies it.</summary>
        public async Task VerifyAsync(int index, PeerSession[] senderOfBlock, int corruptBlock = -1)
        {
            Start(index, senderOfBlock, corruptBlock);
            await WhenAllWorkDoneAsync();
        }

        public async Task WhenAllWorkDoneAsync()
        {
            Task[] work;
            lock (Gate)
                work = [.. _work];
            await Task.WhenAll(work).WaitAsync(Bound);
        }

        /// <summary>Assembles a piece and hands it to the verifier, as the receive loop does (under the lock), without waiting.</summary>
        public void Start(int index, PeerSession[] senderOfBlock, int corruptBlock = -1)
        {
            var piece = new PieceDownload(index, Torrent.PieceSize(index));
            for (var b = 0; b < piece.BlockCount; b++)
            {
                var block = Data.AsSpan((int)Torrent.PieceOffset(index) + b * PieceDownload.BlockLength, piece.BlockSize(b)).ToArray();
                if (b == corruptBlock)
                    block[0] ^= 0xFF;
                Assert.That(piece.TryAccept(b * PieceDownload.BlockLength, new ReadOnlySequence<byte>(block), senderOfBlock[b], out _), Is.True);
            }
            lock (Gate)
                Verifier.Start(piece);
        }

        private void Track(Task task)
        {
            lock (Gate)
                _work.Add(task);
        }
    }

    /// <summary>A peer of the swarm over a real loopback connection we dialled; its listening address is known to the dialer.</summary>
    private async Task<PeerSession> ConnectPeerAsync(Swarm swarm, int seed)
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        _listeners.Add(listener);
        var endPoint = (IPEndPoint)listener.LocalEndpoint;
        var theirs = new Handshake(0, swarm.Torrent.InfoHash, PeerId.CreateOurs(new Random(1000 + seed)));
        var ours = new Handshake(0, swarm.Torrent.InfoHash, PeerId.CreateOurs(new Random(seed)));
        var accept = Task.Run(async () =>
            await PeerConnection.AcceptAsync(await listener.AcceptSocketAsync(), _ => theirs, Bound, CancellationToken.None));
        var outgoing = await PeerConnection.ConnectAsync(endPoint, ours, Bound, CancellationToken.None);
        _connections.Add(outgoing);
        _connections.Add(await accept.WaitAsync(Bound));
        var peer = new PeerSession(outgoing, swarm.Torrent.PieceCount, swarm.Time);
        lock (swarm.Gate)
        {
            swarm.Peers.Add(peer);
            swarm.Dialer.Add([endPoint]);
        }
        return peer;
    }

    private static byte[] RandomData(int length, int seed)
    {
        var data = new byte[length];
        new Random(seed).NextBytes(data);
        return data;
    }

    [Test, CancelAfter(30_000)]
    public async Task A_verified_piece_is_stored_and_each_sender_is_credited_with_the_bytes_of_its_own_blocks()
    {
        // Two pieces: four full blocks, then three and a short one.
        var swarm = new Swarm(RandomData(PieceLength + 3 * PieceDownload.BlockLength + 1000, seed: 2));
        var a = await ConnectPeerAsync(swarm, seed: 1);
        var b = await ConnectPeerAsync(swarm, seed: 2);

        await swarm.VerifyAsync(0, [a, a, a, b]);
        Assert.That(swarm.Verifier.Completed.IsCompleted, Is.False);
        await swarm.VerifyAsync(1, [b, a, b, b]);

        await swarm.Verifier.Completed.WaitAsync(Bound);
        Assert.That(swarm.Store.Content, SameBytes.As(swarm.Data));
        Assert.That(swarm.Verified, Is.EquivalentTo(new[] { 0, 1 }));
        lock (swarm.Gate)
        {
            Assert.That(swarm.Have.IsComplete, Is.True);
            Assert.That(swarm.Verifier.VerifiedBytes, Is.EqualTo(swarm.Data.Length));
            Assert.That(a.VerifiedBytes, Is.EqualTo(4 * PieceDownload.BlockLength));
            Assert.That(b.VerifiedBytes, Is.EqualTo(2 * PieceDownload.BlockLength + 1000 + PieceDownload.BlockLength));
            Assert.That(a.VerifiedBytes + b.VerifiedBytes, Is.EqualTo(swarm.Data.Length));
            Assert.That(swarm.Dialer.UsefulPeers(), Is.EquivalentTo(new[] { a.Connection.RemoteEndPoint, b.Connection.RemoteEndPoint }));
        }
    }

    [Test, CancelAfter(30_000)]
    public async Task A_corrupt_piece_from_one_peer_is_not_stored_and_that_peer_is_banned_and_never_dialled_again()
    {
        var swarm = new Swarm(RandomData(2 * PieceLength, seed: 3));
        var liar = await ConnectPeerAsync(swarm, seed: 1);
        var honest = await ConnectPeerAsync(swarm, seed: 2);

        await swarm.VerifyAsync(1, [liar, liar, liar, liar], corruptBlock: 2);

        Assert.That(swarm.Store.Content, Is.All.EqualTo((byte)0));
        Assert.That(swarm.Verified, Is.Empty);
        lock (swarm.Gate)
        {
            Assert.That(swarm.Have[1], Is.False);
            Assert.That(liar.HashFailures, Is.EqualTo(1));
            Assert.That(liar.Lifetime.IsCancellationRequested, Is.True);
            Assert.That(swarm.Bans.IsBanned(liar.Connection.RemoteEndPoint, liar.Connection.Remote.PeerId), Is.True);
            Assert.That(swarm.Bans.IsBanned(honest.Connection.RemoteEndPoint, honest.Connection.Remote.PeerId), Is.False);
            Assert.That(honest.Lifetime.IsCancellationRequested, Is.False);
            // Only the honest peer's address is left to dial.
            Assert.That(swarm.Dialer.HasUntried, Is.True);
            swarm.Dialer.GiveUp(honest.Connection.RemoteEndPoint);
            Assert.That(swarm.Dialer.HasUntried, Is.False);
        }
    }

    [Test, CancelAfter(30_000)]
    public async Task When_a_piece_from_several_peers_fails_the_good_copy_later_shows_whose_block_was_bad()
    {
        var swarm = new Swarm(RandomData(PieceLength, seed: 4));
        var honest = await ConnectPeerAsync(swarm, seed: 1);
        var liar = await ConnectPeerAsync(swarm, seed: 2);
        var rescuer = await ConnectPeerAsync(swarm, seed: 3);

        await swarm.VerifyAsync(0, [honest, liar, honest, liar], corruptBlock: 3);
        lock (swarm.Gate)
        {
            // Shared blame: nobody is banned on a first failure.
            Assert.That(honest.HashFailures, Is.EqualTo(1));
            Assert.That(liar.HashFailures, Is.EqualTo(1));
            Assert.That(swarm.Bans.Count, Is.Zero);
        }

        await swarm.VerifyAsync(0, [rescuer, rescuer, rescuer, rescuer]);

        await swarm.Verifier.Completed.WaitAsync(Bound);
        lock (swarm.Gate)
        {
            Assert.That(swarm.Bans.IsBanned(liar.Connection.RemoteEndPoint, liar.Connection.Remote.PeerId), Is.True);
            Assert.That(liar.Lifetime.IsCancellationRequested, Is.True);
            Assert.That(swarm.Bans.IsBanned(honest.Connection.RemoteEndPoint, honest.Connection.Remote.PeerId), Is.False);
            Assert.That(honest.Lifetime.IsCancellationRequested, Is.False);
            Assert.That(rescuer.Lifetime.IsCancellationRequested, Is.False);
        }
    }

    [Test, CancelAfter(30_000)]
    public async Task An_honest_peer_with_good_pieces_behind_it_survives_failures_it_shares_with_a_liar_who_is_banned()
    {
        // Six pieces. The honest peer first serves two good pieces alone; then four pieces mix its blocks with the
        // liar's bad ones. A fixed count of shared failures would ban both (and a two-peer swarm would stall); trust
        // earned by verified pieces keeps the honest one, while the liar, who never sent a good piece, is banned.
        var swarm = new Swarm(RandomData(6 * PieceLength, seed: 7));
        var honest = await ConnectPeerAsync(swarm, seed: 1);
        var liar = await ConnectPeerAsync(swarm, seed: 2);
        await swarm.VerifyAsync(0, [honest, honest, honest, honest]);
        await swarm.VerifyAsync(1, [honest, honest, honest, honest]);

        for (var index = 2; index < 6; index++)
        {
            lock (swarm.Gate)
                Assert.That(swarm.Bans.IsBanned(liar.Connection.RemoteEndPoint, liar.Connection.Remote.PeerId), Is.False, $"liar banned before failure {index - 1}");
            await swarm.VerifyAsync(index, [honest, liar, honest, liar], corruptBlock: 1);
        }

        lock (swarm.Gate)
        {
            Assert.That(honest.HashFailures, Is.EqualTo(4));
            Assert.That(liar.HashFailures, Is.EqualTo(4));
            Assert.That(swarm.Bans.IsBanned(liar.Connection.RemoteEndPoint, liar.Connection.Remote.PeerId), Is.True, "liar banned at its fourth shared failure");
            Assert.That(liar.Lifetime.IsCancellationRequested, Is.True);
            Assert.That(swarm.Bans.IsBanned(honest.Connection.RemoteEndPoint, honest.Connection.Remote.PeerId), Is.False, "honest peer kept");
            Assert.That(honest.Lifetime.IsCancellationRequested, Is.False);
        }
    }

    [Test, CancelAfter(30_000)]
    public async Task Failures_shared_with_a_peer_already_banned_do_not_cost_a_fresh_honest_peer_its_place()
    {
        // The liar is caught on a piece it sent alone; four more pieces that mixed its bad blocks with a fresh honest
        // peer's were already in flight. They fail too, but the banned liar explains them: without that, the honest
        // peer (no trust earned yet) would be banned at the fourth and a two-peer swarm would stall (seen in CI).
        var swarm = new Swarm(RandomData(5 * PieceLength, seed: 8));
        var honest = await ConnectPeerAsync(swarm, seed: 1);
        var liar = await ConnectPeerAsync(swarm, seed: 2);
        await swarm.VerifyAsync(0, [liar, liar, liar, liar], corruptBlock: 0);
        lock (swarm.Gate)
            Assert.That(swarm.Bans.IsBanned(liar.Connection.RemoteEndPoint, liar.Connection.Remote.PeerId), Is.True, "a lone sender of a bad piece is banned");

        for (var index = 1; index < 5; index++)
            await swarm.VerifyAsync(index, [honest, liar, honest, liar], corruptBlock: 1);

        lock (swarm.Gate)
        {
            Assert.That(honest.HashFailures, Is.EqualTo(4));
            Assert.That(swarm.Bans.IsBanned(honest.Connection.RemoteEndPoint, honest.Connection.Remote.PeerId), Is.False, "honest peer kept");
            Assert.That(honest.Lifetime.IsCancellationRequested, Is.False);
        }
    }

    [Test, CancelAfter(30_000)]
    public async Task A_storage_failure_fails_the_verifier()
    {
        var data = RandomData(PieceLength, seed: 5);
        var swarm = new Swarm(data);
        var failing = new PieceVerifier(swarm.Gate, swarm.Torrent, new FailingStore(), swarm.Have, swarm.Peers, swarm.Scheduler, swarm.Dialer,
            new BadDataJudge(swarm.Gate, swarm.Peers, swarm.Bans, swarm.Dialer, NullLogger.Instance), _ => { }, CancellationToken.None, NullLogger.Instance);
        var sender = await ConnectPeerAsync(swarm, seed: 1);
        var piece = new PieceDownload(0, PieceLength);
        for (var b = 0; b < piece.BlockCount; b++)
            piece.TryAccept(b * PieceDownload.BlockLength, new ReadOnlySequence<byte>(data.AsMemory(b * PieceDownload.BlockLength, PieceDownload.BlockLength)), sender, out _);

        failing.Start(piece);

        var error = Assert.ThrowsAsync<IOException>(async () => await failing.Failed.WaitAsync(Bound));
        Assert.That(error!.Message, Is.EqualTo("disk full"));
        Assert.That(failing.Completed.IsCompleted, Is.False);
    }

    [Test, CancelAfter(30_000)]
    public async Task Completed_pieces_wait_in_the_bounded_disk_queue_while_the_disk_is_slow_and_all_are_stored_in_the_end()
    {
        var data = RandomData(6 * PieceLength, seed: 6);
        var gated = default(GatedStore);
        await using var queue = new DiskQueue(new DiskQueueOptions { MemoryBudgetBytes = 2 * PieceLength, Workers = 1 });
        var swarm = new Swarm(data, store: torrent => gated = new GatedStore(new InMemoryPieceStore(torrent)), queue: queue);
        var sender = await ConnectPeerAsync(swarm, seed: 1);
        var senders = Enumerable.Repeat(sender, 4).ToArray();

        for (var index = 0; index < 6; index++)
            swarm.Start(index, senders);

        // One piece is being written, one waits in the queue, the other four wait to get in; the network would wait too.
        Assert.That(queue.BytesHeld, Is.EqualTo(2 * PieceLength));
        Assert.That(queue.WaitingProducers, Is.EqualTo(4));
        Assert.That(queue.HasRoom, Is.False);
        gated!.Open();
        await swarm.Verifier.Completed.WaitAsync(Bound);
        await swarm.WhenAllWorkDoneAsync();

        Assert.That(gated.Inner.Content, SameBytes.As(data));
        Assert.That(swarm.Verified, Is.EquivalentTo(Enumerable.Range(0, 6)));
        Assert.That(queue.HighWaterBytes, Is.LessThanOrEqualTo(2 * PieceLength));
        Assert.That(queue.BytesHeld, Is.Zero);
    }

    /// <summary>A store whose writes wait until the test opens it.</summary>
    private sealed class GatedStore(InMemoryPieceStore inner) : IPieceStore
    {
        private readonly TaskCompletionSource _open = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public InMemoryPieceStore Inner => inner;

        public void Open() => _open.TrySetResult();

        public async ValueTask WritePieceAsync(int pieceIndex, ReadOnlyMemory<byte> data, CancellationToken cancellationToken)
        {
            await _open.Task.WaitAsync(cancellationToken);
            await inner.WritePieceAsync(pieceIndex, data, cancellationToken);
        }

        public ValueTask ReadAsync(int pieceIndex, int offset, Memory<byte> destination, CancellationToken cancellationToken) =>
            inner.ReadAsync(pieceIndex, offset, destination, cancellationToken);

        public ValueTask FlushAsync(CancellationToken cancellationToken) => ValueTask.CompletedTask;

        public ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }

    private sealed class FailingStore : IPieceStore
    {
        public ValueTask WritePieceAsync(int pieceIndex, ReadOnlyMemory<byte> data, CancellationToken cancellationToken) => throw new IOException("disk full");

        public ValueTask ReadAsync(int pieceIndex, int offset, Memory<byte> destination, CancellationToken cancellationToken) => throw new IOException("disk full");

        public ValueTask FlushAsync(CancellationToken cancellationToken) => ValueTask.CompletedTask;

        public ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }
}
