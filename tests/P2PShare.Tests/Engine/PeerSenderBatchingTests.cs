using System.Buffers.Binary;
using System.Net;
using P2PShare.Engine;
using P2PShare.Metainfo;
using P2PShare.Networking.Peers;
using P2PShare.Protocol;
using P2PShare.Protocol.Wire;
using P2PShare.Tests.Support;

namespace P2PShare.Tests.Engine;

/// <summary>
/// The upload send loop: blocks queued together leave in a few large writes (not one write per 16 KiB block),
/// in the order they were queued, each with its own piece header and the right bytes.
/// </summary>
[TestFixture]
public sealed class PeerSenderBatchingTests
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(10);
    private const int PieceLength = 1024 * 1024;
    private const int BlockCount = 16;

    /// <summary>Piece data is a function of its position, so every block can be checked.</summary>
    private sealed class PatternStore : IPieceStore
    {
        public static byte At(int piece, int offset) => (byte)(piece * 31 + offset * 7 + (offset >> 8));

        public ValueTask WritePieceAsync(int pieceIndex, ReadOnlyMemory<byte> data, CancellationToken cancellationToken) => ValueTask.CompletedTask;

        public ValueTask ReadAsync(int pieceIndex, int offset, Memory<byte> destination, CancellationToken cancellationToken)
        {
            var span = destination.Span;
            for (var i = 0; i < span.Length; i++)
                span[i] = At(pieceIndex, offset + i);
            return ValueTask.CompletedTask;
        }

        public ValueTask FlushAsync(CancellationToken cancellationToken) => ValueTask.CompletedTask;

        public ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }

    [Test, CancelAfter(20_000)]
    public async Task Queued_blocks_are_sent_several_per_write_in_order(CancellationToken cancellationToken)
    {
        var (ours, theirs) = InMemoryDuplexStream.CreatePair();
        var infoHash = new InfoHash(Enumerable.Range(1, 20).Select(i => (byte)i).ToArray());
        var handshake = new Handshake(0, infoHash, PeerId.CreateOurs(new Random(7)));
        var accept = PeerConnection.HandshakeIncomingAsync(ours, new IPEndPoint(IPAddress.Loopback, 6881), _ => handshake, "memory", cancellationToken);
        await theirs.WriteAsync(RawPeerWire.Handshake(infoHash.Span, RawPeerWire.NewPeerId()), cancellationToken);
        await theirs.ReadExactlyAsync(new byte[RawPeerWire.HandshakeLength], cancellationToken).AsTask().WaitAsync(Bound, cancellationToken);
        await using var connection = await accept.WaitAsync(Bound, cancellationToken);
        var writesBefore = ours.Writes;

        var peer = new PeerSession(connection, pieceCount: 4, TimeProvider.System);
        // One choke-free batch: an unchoke, then the blocks of two pieces (the second from another cache window).
        peer.Enqueue(new OutgoingMessage(MessageId.Unchoke));
        var expected = new List<(int Piece, int Begin)>();
        for (var piece = 1; piece <= 2; piece++)
        {
            for (var block = 0; block < BlockCount / 2; block++)
            {
                var begin = block * FrameLimits.StandardBlockLength;
                peer.Enqueue(OutgoingMessage.Block(piece, begin, FrameLimits.StandardBlockLength));
                expected.Add((piece, begin));
            }
        }
        var uploaded = 0;
        var cache = new BlockReadCache(new PatternStore(), _ => PieceLength, capacityBytes: 8 * PieceLength);
        var sender = peer.RunSenderAsync(cache, (_, _) => true, bytes => uploaded += bytes, uploadLimit: null, cancellationToken);

        // The unchoke first, then every block in queue order with its data.
        var frame = await ReadFrameAsync(theirs, cancellationToken);
        Assert.That(frame, Is.EqualTo(new[] { (byte)MessageId.Unchoke }));
        foreach (var (piece, begin) in expected)
        {
            frame = await ReadFrameAsync(theirs, cancellationToken);
            Assert.That(frame[0], Is.EqualTo((byte)MessageId.Piece));
            Assert.That(BinaryPrimitives.ReadInt32BigEndian(frame.AsSpan(1)), Is.EqualTo(piece));
            Assert.That(BinaryPrimitives.ReadInt32BigEndian(frame.AsSpan(5)), Is.EqualTo(begin));
            Assert.That(frame.Length - 9, Is.EqualTo(FrameLimits.StandardBlockLength));
            for (var i = 0; i < FrameLimits.StandardBlockLength; i += 997)
                Assert.That(frame[9 + i], Is.EqualTo(PatternStore.At(piece, begin + i)), $"block {piece}:{begin}, byte {i}");
        }

        // Counted once the loop has ended: a write's bytes may be read before the write call returns.
        peer.CloseOutbox();
        await sender.WaitAsync(Bound, cancellationToken);
        var writes = ours.Writes - writesBefore;
        TestContext.Out.WriteLine($"{BlockCount} blocks and an unchoke queued at once: {writes} writes");
        Assert.That(uploaded, Is.EqualTo(BlockCount * FrameLimits.StandardBlockLength));
        // 16 blocks of 16 KiB and a window miss per piece: one write per block would be 17.
        Assert.That(writes, Is.LessThanOrEqualTo(6));
    }

    private static async Task<byte[]> ReadFrameAsync(Stream stream, CancellationToken cancellationToken)
    {
        var header = new byte[4];
        await stream.ReadExactlyAsync(header, cancellationToken).AsTask().WaitAsync(Bound, cancellationToken);
        var frame = new byte[BinaryPrimitives.ReadInt32BigEndian(header)];
        await stream.ReadExactlyAsync(frame, cancellationToken).AsTask().WaitAsync(Bound, cancellationToken);
        return frame;
    }
}
