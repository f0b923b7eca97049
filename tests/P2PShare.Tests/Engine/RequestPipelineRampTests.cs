using System.Buffers;
using System.Net;
using P2PShare.Engine;
using P2PShare.Metainfo;
using P2PShare.Networking.Peers;
using P2PShare.Protocol.Wire;
using P2PShare.Tests.Support;

namespace P2PShare.Tests.Engine;

/// <summary>
/// The request queue of a new peer over a long round trip, in the scheduler with a manual clock (blocks "arrive" by calling
/// it as the receive loop does): it must grow with the blocks received, not wait seconds for the rate estimate.
/// </summary>
public class RequestPipelineRampTests
{
    private const int PieceLength = 4 * PieceDownload.BlockLength;
    private const int Pieces = 320;
    private readonly List<IAsyncDisposable> _connections = [];
    private ManualTimeProvider _time = null!;
    private Torrent _torrent = null!;
    private byte[] _data = null!;
    private RequestScheduler _scheduler = null!;

    [SetUp]
    public void SetUp()
    {
        _time = new ManualTimeProvider();
        (_torrent, _data) = SessionSwarmTests.MakeTorrent(Pieces * PieceLength, PieceLength, seed: 7);
        _scheduler = new RequestScheduler(_torrent, new P2PShare.Protocol.Bitfield(Pieces), new PiecePicker(Pieces, new Random(3), randomFirstPieces: 0, time: _time),
            new EngineOptions(), _time);
    }

    [TearDown]
    public async Task TearDown()
    {
        foreach (var connection in _connections)
            await connection.DisposeAsync();
        _connections.Clear();
    }

    private async Task<PeerSession> NewPeerAsync()
    {
        var (ours, theirs) = InMemoryDuplexStream.CreatePair();
        var endPoint = new IPEndPoint(IPAddress.Loopback, 7001);
        var theirHandshake = new Handshake(ExtensionSupport.Reserved, _torrent.InfoHash, PeerId.CreateOurs(new Random(1001)));
        var accept = PeerConnection.HandshakeIncomingAsync(theirs, endPoint, _ => theirHandshake, "memory", CancellationToken.None);
        var connection = await PeerConnection.HandshakeOutgoingAsync(ours, endPoint,
            new Handshake(ExtensionSupport.Reserved, _torrent.InfoHash, PeerId.CreateOurs(new Random(1))), "memory", CancellationToken.None);
        _connections.Add(connection);
        _connections.Add(await accept);
        var peer = new PeerSession(connection, Pieces, _time) { AmInterested = true, PeerChoking = false };
        peer.Has.SetAll();
        return peer;
    }

    /// <summary>One round trip: every block in flight arrives (as PeerMessageHandler.OnBlock takes it), then the clock moves.</summary>
    private void RoundTrip(PeerSession peer, TimeSpan rtt)
    {
        foreach (var request in peer.Outstanding.ToList())
        {
            var begin = request.Block * PieceDownload.BlockLength;
            var payload = new ReadOnlySequence<byte>(_data, request.Piece * PieceLength + begin, PieceDownload.BlockLength);
            var message = new PeerMessage(MessageId.Piece, request.Piece, begin, PieceDownload.BlockLength, payload);
            Assert.That(_scheduler.AcceptBlock(peer, message, [peer], out var completed), Is.EqualTo(BlockOutcome.Accepted));
            completed?.Release();
            peer.DownloadRate.Add(message.Length);
            peer.RequestRamp?.OnBlock(message.Length);
            _scheduler.RefillIfLow(peer);
        }
        _time.Advance(rtt);
    }

    [Test, CancelAfter(10_000)]
    public async Task A_new_peer_queue_doubles_every_round_trip_before_any_rate_is_measured()
    {
        var peer = await NewPeerAsync();
        _scheduler.FillRequests(peer);
        var sizes = new List<int> { peer.Outstanding.Count };
        for (var i = 0; i < 5; i++)
        {
            RoundTrip(peer, TimeSpan.FromMilliseconds(50));
            sizes.Add(peer.Outstanding.Count);
        }
        TestContext.Out.WriteLine($"requests in flight after each 50 ms round trip: {string.Join(", ", sizes)}; rate estimate {peer.DownloadRate.BytesPerSecond:0} B/s");
        Assert.That(sizes[0], Is.EqualTo(new EngineOptions().MinRequestQueue));
        // 250 ms in, no whole second measured yet: the rate alone would still allow the minimum.
        Assert.That(peer.DownloadRate.BytesPerSecond, Is.Zero);
        Assert.That(sizes[^1], Is.GreaterThanOrEqualTo(8 * sizes[0]));
        Assert.That(sizes, Is.Ordered);
    }

    [Test, CancelAfter(10_000)]
    public async Task After_a_choke_the_queue_ramps_again_from_the_minimum()
    {
        var peer = await NewPeerAsync();
        _scheduler.FillRequests(peer);
        for (var i = 0; i < 4; i++)
            RoundTrip(peer, TimeSpan.FromMilliseconds(50));
        Assert.That(peer.Outstanding.Count, Is.GreaterThan(100));

        peer.PeerChoking = true;
        _scheduler.DropRequests(peer);
        peer.PeerChoking = false;
        _scheduler.FillRequests(peer);
        Assert.That(peer.Outstanding, Has.Count.EqualTo(new EngineOptions().MinRequestQueue), "no whole second measured: the ramp starts again");
        RoundTrip(peer, TimeSpan.FromMilliseconds(50));
        Assert.That(peer.Outstanding.Count, Is.GreaterThan(new EngineOptions().MinRequestQueue));
    }

    [Test, CancelAfter(10_000)]
    public async Task Once_the_rate_levels_off_the_rate_sizes_the_queue()
    {
        var peer = await NewPeerAsync();
        _scheduler.FillRequests(peer);
        // A peer that delivers 32 blocks every 100 ms whatever we ask (512 KiB per 100 ms, 5 MB/s): the ramp grows for the
        // first second, then a second no better than the one before ends it; two seconds of 5 MB/s is ~640 blocks, above the cap.
        for (var tick = 0; tick < 40 && peer.RequestRamp is { Active: true }; tick++)
        {
            foreach (var request in peer.Outstanding.Take(32).ToList())
            {
                var begin = request.Block * PieceDownload.BlockLength;
                var message = new PeerMessage(MessageId.Piece, request.Piece, begin, PieceDownload.BlockLength,
                    new ReadOnlySequence<byte>(_data, request.Piece * PieceLength + begin, PieceDownload.BlockLength));
                _scheduler.AcceptBlock(peer, message, [peer], out var completed);
                completed?.Release();
                peer.DownloadRate.Add(message.Length);
                peer.RequestRamp?.OnBlock(message.Length);
                _scheduler.RefillIfLow(peer);
            }
            _time.Advance(TimeSpan.FromMilliseconds(100));
        }
        Assert.That(peer.RequestRamp!.Active, Is.False, "a flat rate ends the ramp");
        var expected = (int)Math.Clamp(peer.DownloadRate.BytesPerSecond * new EngineOptions().RequestQueueSeconds / PieceDownload.BlockLength,
            new EngineOptions().MinRequestQueue, new EngineOptions().MaxRequestQueue);
        Assert.That(_scheduler.QueueTarget(peer), Is.EqualTo(expected));
    }
}
