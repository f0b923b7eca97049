using System.Net;
using System.Security.Cryptography;
using Microsoft.Extensions.Logging.Abstractions;
using P2PShare.Bencode;
using P2PShare.Engine;
using P2PShare.Metainfo;
using P2PShare.Networking.Peers;
using P2PShare.Protocol;
using P2PShare.Protocol.Wire;
using P2PShare.Tests.Support;

namespace P2PShare.Tests.Engine;

/// <summary>Whole torrent sessions talking over real loopback sockets, with storage in memory.</summary>
public class SessionSwarmTests
{
    private static (Torrent Torrent, byte[] Data) MakeTorrent(int length, int pieceLength, int seed)
    {
        var data = new byte[length];
        new Random(seed).NextBytes(data);
        var hashes = new List<byte>();
        for (var offset = 0; offset < length; offset += pieceLength)
            hashes.AddRange(SHA1.HashData(data.AsSpan(offset, Math.Min(pieceLength, length - offset))));
        var info = new BDictionary { ["name"] = new BString("data.bin"), ["length"] = new BInteger(length), ["piece length"] = new BInteger(pieceLength), ["pieces"] = new BString(hashes.ToArray()) };
        var root = new BDictionary { ["info"] = info };
        return (TorrentParser.Parse(BencodeEncoder.Encode(root)), data);
    }

    private sealed class Node : IAsyncDisposable
    {
        private readonly CancellationTokenSource _stop = new();
        private readonly List<Task> _tasks = [];
        private int _accepted;

        public Node(Torrent torrent, InMemoryPieceStore store, bool complete, int seed)
        {
            Store = store;
            var have = new Bitfield(torrent.PieceCount);
            if (complete)
                have.SetAll();
            Session = new TorrentSession(torrent, store, have, PeerId.CreateOurs(new Random(seed)), new EngineOptions(), TimeProvider.System, new Random(seed), NullLogger.Instance);
            Listener = PeerListener.Start(IPAddress.Loopback, 0, NullLogger.Instance);
            _tasks.Add(Session.RunAsync(_stop.Token));
            _tasks.Add(Listener.RunAsync(async (socket, ct) =>
            {
                Interlocked.Increment(ref _accepted);
                try
                {
                    Session.Attach(await PeerConnection.AcceptAsync(socket, h => h.Equals(torrent.InfoHash) ? Session.OurHandshake : null, TimeSpan.FromSeconds(5), ct));
                }
                catch (Exception) when (!ct.IsCancellationRequested)
                {
                }
            }, _stop.Token));
        }

        public TorrentSession Session { get; }

        /// <summary>Connections its listener accepted.</summary>
        public int Accepted => Volatile.Read(ref _accepted);

        public InMemoryPieceStore Store { get; }

        public PeerListener Listener { get; }

        public IPEndPoint EndPoint => new(IPAddress.Loopback, Listener.Port);

        public async ValueTask DisposeAsync()
        {
            await _stop.CancelAsync();
            await Session.DisposeAsync();
            await Listener.DisposeAsync();
            await Task.WhenAll(_tasks).WaitAsync(TimeSpan.FromSeconds(10)).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }
    }

    [Test, CancelAfter(30_000)]
    public async Task A_leecher_downloads_everything_from_a_seeder_and_every_piece_is_verified()
    {
        var (torrent, data) = MakeTorrent(3 * 1024 * 1024 + 12345, 64 * 1024, seed: 1);
        await using var seeder = new Node(torrent, new InMemoryPieceStore(torrent, (byte[])data.Clone()), complete: true, seed: 1);
        await using var leecher = new Node(torrent, new InMemoryPieceStore(torrent), complete: false, seed: 2);
        leecher.Session.AddPeers([seeder.EndPoint]);

        await leecher.Session.Completed.WaitAsync(TimeSpan.FromSeconds(25));

        Assert.That(leecher.Store.Content, Is.EqualTo(data));
        var progress = leecher.Session.Progress();
        Assert.That(progress.IsComplete, Is.True);
        Assert.That(progress.DownloadedPayload, Is.EqualTo(torrent.TotalLength), "every block fetched once");
    }

    [Test, CancelAfter(30_000)]
    public async Task A_leecher_takes_pieces_from_two_seeders_and_one_that_sends_garbage_is_banned()
    {
        var (torrent, data) = MakeTorrent(2 * 1024 * 1024, 32 * 1024, seed: 3);
        var corrupt = (byte[])data.Clone();
        for (var i = 0; i < corrupt.Length; i += 997)
            corrupt[i] ^= 0x5A;
        await using var good = new Node(torrent, new InMemoryPieceStore(torrent, (byte[])data.Clone()), complete: true, seed: 4);
        await using var bad = new Node(torrent, new InMemoryPieceStore(torrent, corrupt), complete: true, seed: 5);
        await using var leecher = new Node(torrent, new InMemoryPieceStore(torrent), complete: false, seed: 6);
        leecher.Session.AddPeers([bad.EndPoint, good.EndPoint]);

        await leecher.Session.Completed.WaitAsync(TimeSpan.FromSeconds(25));

        Assert.That(leecher.Store.Content, Is.EqualTo(data));
        Assert.That(leecher.Session.PeerList().Select(p => p.Address), Does.Not.Contain(bad.EndPoint.ToString()));
    }

    [TestCase(true)]
    [TestCase(false)]
    [CancelAfter(30_000)]
    public async Task A_peer_already_connected_is_not_dialled_again_when_its_address_is_learnt(bool firstHasLowerId)
    {
        // Two leechers of a torrent nobody has: they stay connected, idle. B dials A; then A learns B's listening
        // address (as from a tracker). A dials it at most once: both ends then keep the same one connection.
        var (torrent, _) = MakeTorrent(256 * 1024, 16 * 1024, seed: 7);
        var (seedA, seedB) = SeedsWithOrderedIds(firstHasLowerId);
        await using var a = new Node(torrent, new InMemoryPieceStore(torrent), complete: false, seed: seedA);
        await using var b = new Node(torrent, new InMemoryPieceStore(torrent), complete: false, seed: seedB);
        b.Session.AddPeers([a.EndPoint]);
        await Eventually.UntilAsync(() => a.Session.PeerList().Count == 1 && b.Session.PeerList().Count == 1, TimeSpan.FromSeconds(10), "B connected to A");

        a.Session.AddPeers([b.EndPoint]);
        // The session dials once a second; before this was fixed, A dialled B on every tick while connected. Watch
        // a few ticks: absence can only be observed over a window.
        var window = DateTime.UtcNow + TimeSpan.FromSeconds(4);
        while (DateTime.UtcNow < window)
        {
            Assert.That(b.Accepted, Is.LessThanOrEqualTo(1), "connections from A to B's listening address");
            await Task.Delay(100);
        }
        await Eventually.UntilAsync(() => a.Session.PeerList().Count == 1 && b.Session.PeerList().Count == 1, TimeSpan.FromSeconds(10),
            "A and B still connected, once");
    }

    /// <summary>Seeds for two nodes' peer ids (PeerId.CreateOurs) such that the first id sorts below the second, or above.</summary>
    private static (int First, int Second) SeedsWithOrderedIds(bool firstLower)
    {
        static PeerId Id(int seed) => PeerId.CreateOurs(new Random(seed));
        var firstIsLower = Id(10).Span.SequenceCompareTo(Id(11).Span) < 0;
        return firstIsLower == firstLower ? (10, 11) : (11, 10);
    }
}
