using System.Buffers;
using System.Security.Cryptography;
using P2PShare.Metainfo;
using P2PShare.Protocol.Wire;

namespace P2PShare.Tests.Protocol;

/// <summary>BEP 52 hash request / hashes / hash reject: the codec, hostile sizes, and the merkle ranges with their proofs.</summary>
public class HashMessageCodecTests
{
    private static readonly FrameLimits Limits = new(PieceCount: 20);
    private static readonly string Root = new('a', 64);

    [Test]
    public void Request_hashes_and_reject_are_written_with_the_BEP_layout_and_read_back()
    {
        var request = new HashRequest(Root, BaseLayer: 1, Index: 4, Length: 4, ProofLayers: 5);
        var requestFrame = HashMessages.EncodeRequest(MessageId.HashRequest, request);
        Assert.That(Convert.ToHexStringLower(requestFrame), Is.EqualTo(
            "00000031" + "15" + Root + "00000001" + "00000004" + "00000004" + "00000005"));
        // 4 base hashes, then uncles at levels log2(4) = 2 to 5 above the base (libtorrent's count): 4 of them.
        Assert.That(request.AnswerHashCount, Is.EqualTo(8));
        var hashes = RandomNumberGenerator.GetBytes(8 * 32);
        var hashesFrame = HashMessages.EncodeHashes(request, hashes);
        var rejectFrame = HashMessages.EncodeRequest(MessageId.HashReject, request);

        var sequence = new ReadOnlySequence<byte>([.. requestFrame, .. hashesFrame, .. rejectFrame]);
        var read = new List<(MessageId, HashRequest, byte[]?)>();
        while (MessageReader.TryRead(ref sequence, Limits, out var message))
        {
            if (message.Id == MessageId.Hashes)
                read.Add((message.Id, HashMessages.ParseHashes(message.Payload, out var got), got));
            else
                read.Add((message.Id, HashMessages.ParseRequest(message.Payload), null));
        }
        Assert.That(read.Select(r => r.Item1), Is.EqualTo(new[] { MessageId.HashRequest, MessageId.Hashes, MessageId.HashReject }));
        Assert.That(read.Select(r => r.Item2), Is.All.EqualTo(request));
        Assert.That(read[1].Item3, Is.EqualTo(hashes));
    }

    [Test]
    public void Hostile_hash_messages_are_refused_with_a_protocol_error()
    {
        var request = new HashRequest(Root, 0, 0, 2, 0);
        // A request one byte short, and one byte long.
        var shortFrame = HashMessages.EncodeRequest(MessageId.HashRequest, request)[..^1];
        shortFrame[3]--;
        Assert.Throws<PeerProtocolException>(() => ReadOne(shortFrame));
        var longFrame = HashMessages.EncodeRequest(MessageId.HashReject, request).Append((byte)0).ToArray();
        longFrame[3]++;
        Assert.Throws<PeerProtocolException>(() => ReadOne(longFrame));
        // Hashes: one hash fewer than the fields call for; a payload that is not whole hashes; a huge length prefix.
        var missing = HashMessages.EncodeHashes(request, new byte[32]);
        var e = Assert.Throws<PeerProtocolException>(() => HashMessages.ParseHashes(ReadOne(missing).Payload, out _));
        Assert.That(e!.Message, Does.Contain("call for 64"));
        // A hashes message whose fields call for uncles it does not carry.
        var noProof = HashMessages.EncodeHashes(request with { ProofLayers = 3 }, new byte[64]);
        Assert.Throws<PeerProtocolException>(() => HashMessages.ParseHashes(ReadOne(noProof).Payload, out _));
        var ragged = HashMessages.EncodeHashes(request, new byte[64]).Append((byte)1).ToArray();
        ragged[3]++;
        Assert.Throws<PeerProtocolException>(() => ReadOne(ragged));
        var huge = HashMessages.EncodeHashes(request, new byte[64]);
        huge[0] = 0x10;
        Assert.Throws<PeerProtocolException>(() => ReadOne(huge), "a 256 MiB hashes frame is refused before it is buffered");
        // Fields out of range: zero length, too many hashes, absurd layers.
        foreach (var (length, layer, proof) in new[] { (0, 0, 0), (HashMessages.MaxHashesPerRequest * 2, 0, 0), (2, 60, 0), (2, 0, 1000) })
        {
            var frame = HashMessages.EncodeRequest(MessageId.HashRequest, request);
            System.Buffers.Binary.BinaryPrimitives.WriteInt32BigEndian(frame.AsSpan(5 + 32), layer);
            System.Buffers.Binary.BinaryPrimitives.WriteInt32BigEndian(frame.AsSpan(5 + 32 + 8), length);
            System.Buffers.Binary.BinaryPrimitives.WriteInt32BigEndian(frame.AsSpan(5 + 32 + 12), proof);
            Assert.Throws<PeerProtocolException>(() => HashMessages.ParseRequest(ReadOne(frame).Payload), $"length {length} layer {layer} proof {proof}");
        }
    }

    [Test]
    public void A_range_answer_with_its_proof_folds_up_to_the_file_root_and_a_flipped_hash_does_not()
    {
        // A file of 13 pieces of 64 KiB (4 blocks each): the piece layer is layer 2, padded to 16 nodes; the root is layer 6.
        const int pieceLength = 64 * 1024;
        var data = RandomNumberGenerator.GetBytes(13 * pieceLength - 1000);
        var layer = new byte[13 * 32];
        for (var p = 0; p < 13; p++)
        {
            var start = p * pieceLength;
            MerkleTree.PieceHash(data.AsSpan(start, Math.Min(pieceLength, data.Length - start)), pieceLength, data.Length, layer.AsSpan(p * 32, 32));
        }
        var root = MerkleTree.RootFromPieceLayer(layer, pieceLength, data.Length);
        var pieceLayer = MerkleProof.PieceLayer(pieceLength);
        var height = MerkleProof.Height(data.Length);
        Assert.That((pieceLayer, height), Is.EqualTo((2, 6)));

        foreach (var (index, length) in new[] { (0, 16), (8, 8), (12, 4), (4, 2), (14, 2) })
        {
            // Up to the root, as libtorrent asks: 16 hashes need 3 proof layers and carry no uncle.
            var proofLayers = MerkleProof.ProofLayersTo(height - pieceLayer);
            var answer = MerkleProof.Answer(layer, pieceLayer, data.Length, pieceLayer, index, length, proofLayers);
            Assert.That(answer, Is.Not.Null, $"[{index}, +{length})");
            Assert.That(answer!.Length / 32, Is.EqualTo(new HashRequest(Root, pieceLayer, index, length, proofLayers).AnswerHashCount));
            var top = new byte[32];
            Assert.That(MerkleProof.Fold(answer, pieceLayer, index, length, top), Is.EqualTo((height, 0L)));
            Assert.That(top, Is.EqualTo(root), $"[{index}, +{length}) proves the root");
            answer[^1] ^= 1;
            MerkleProof.Fold(answer, pieceLayer, index, length, top);
            Assert.That(top, Is.Not.EqualTo(root), "a bad proof hash does not prove the root");
        }
        Assert.That(MerkleProof.Answer(layer, pieceLayer, data.Length, pieceLayer, 0, 16, 3)!.Length, Is.EqualTo(16 * 32), "a whole layer needs no uncle");
        // Ranges a peer may not ask for: not a power of two, one hash, misaligned, past the layer, an uncle at the root
        // (what libtorrent rejects too), a layer we do not hold.
        Assert.That(MerkleProof.Answer(layer, pieceLayer, data.Length, pieceLayer, 0, 3, 3), Is.Null);
        Assert.That(MerkleProof.Answer(layer, pieceLayer, data.Length, pieceLayer, 4, 1, 3), Is.Null);
        Assert.That(MerkleProof.Answer(layer, pieceLayer, data.Length, pieceLayer, 2, 4, 3), Is.Null);
        Assert.That(MerkleProof.Answer(layer, pieceLayer, data.Length, pieceLayer, 16, 2, 3), Is.Null);
        Assert.That(MerkleProof.Answer(layer, pieceLayer, data.Length, pieceLayer, 0, 2, 4), Is.Null);
        Assert.That(MerkleProof.Answer(layer, pieceLayer, data.Length, 0, 0, 4, 2), Is.Null);
    }

    [Test]
    public void Block_hashes_of_one_piece_fold_to_that_piece_s_node()
    {
        const int pieceLength = 64 * 1024;
        var piece = RandomNumberGenerator.GetBytes(pieceLength);
        var leaves = new byte[4 * 32];
        MerkleTree.HashBlocks(piece, leaves);
        Span<byte> expected = stackalloc byte[32];
        MerkleTree.PieceHash(piece, pieceLength, 10L * pieceLength, expected);
        Span<byte> top = stackalloc byte[32];
        // Piece 5's blocks are leaves 20..23: their subtree root is node 5 of layer 2.
        Assert.That(MerkleProof.Fold(leaves, 0, 20, 4, top), Is.EqualTo((2, 5L)));
        Assert.That(top.ToArray(), Is.EqualTo(expected.ToArray()));
    }

    private static PeerMessage ReadOne(byte[] frame)
    {
        var sequence = new ReadOnlySequence<byte>(frame);
        Assert.That(MessageReader.TryRead(ref sequence, Limits, out var message), Is.True);
        return message;
    }
}
