using System.Buffers;
using System.Buffers.Binary;

namespace P2PShare.Protocol.Wire;

/// <summary>
/// Pure codec of the BEP 52 messages hash request (21), hashes (22) and hash reject (23). A request or reject is the
/// 32-byte pieces root and four big-endian 32-bit numbers (base layer, index, length, proof layers); hashes adds the
/// <c>length</c> base-layer hashes followed by the uncle hashes, lowest layer first.
/// </summary>
internal static class HashMessages
{
    public const int HashSize = 32;

    /// <summary>Root + base layer + index + length + proof layers.</summary>
    public const int RequestPayloadLength = HashSize + 4 * 4;

    /// <summary>Most base hashes one request may name (a power of two; libtorrent asks for 512 at a time).</summary>
    public const int MaxHashesPerRequest = 1024;

    /// <summary>Deepest proof: a tree of 2^48 leaves is far beyond any file.</summary>
    public const int MaxProofLayers = 48;

    /// <summary>The largest hashes payload accepted: a full request and its whole proof.</summary>
    public const int MaxHashesPayloadLength = RequestPayloadLength + (MaxHashesPerRequest + MaxProofLayers) * HashSize;

    /// <summary>Frame length (prefix included) of a hash request or reject.</summary>
    public const int RequestFrameLength = 5 + RequestPayloadLength;

    public static int HashesFrameLength(int hashCount) => 5 + RequestPayloadLength + hashCount * HashSize;

    /// <summary>A hash request or hash reject frame.</summary>
    public static byte[] EncodeRequest(MessageId id, in HashRequest request)
    {
        if (id is not (MessageId.HashRequest or MessageId.HashReject))
            throw new ArgumentException("a request frame is a hash request or a hash reject", nameof(id));
        var frame = new byte[RequestFrameLength];
        WriteHeader(frame, id, request, RequestPayloadLength);
        return frame;
    }

    /// <summary>A hashes frame: the request's fields, then <paramref name="hashes"/> (base hashes, then uncles).</summary>
    public static byte[] EncodeHashes(in HashRequest request, ReadOnlySpan<byte> hashes)
    {
        if (hashes.Length % HashSize != 0)
            throw new ArgumentException("hashes are 32 bytes each", nameof(hashes));
        var frame = new byte[5 + RequestPayloadLength + hashes.Length];
        WriteHeader(frame, MessageId.Hashes, request, RequestPayloadLength + hashes.Length);
        hashes.CopyTo(frame.AsSpan(5 + RequestPayloadLength));
        return frame;
    }

    /// <summary>Decodes the payload of a hash request or reject; throws <see cref="PeerProtocolException"/> when it is malformed.</summary>
    public static HashRequest ParseRequest(ReadOnlySequence<byte> payload)
    {
        if (payload.Length != RequestPayloadLength)
            throw new PeerProtocolException($"hash request payload is {payload.Length} bytes, expected {RequestPayloadLength}");
        Span<byte> bytes = stackalloc byte[RequestPayloadLength];
        payload.CopyTo(bytes);
        return ReadFields(bytes);
    }

    /// <summary>
    /// Decodes a hashes payload: the request it answers and the hashes (a copy). Throws <see cref="PeerProtocolException"/>
    /// when the fields are out of range or the number of hashes is not the one the fields call for.
    /// </summary>
    public static HashRequest ParseHashes(ReadOnlySequence<byte> payload, out byte[] hashes)
    {
        if (payload.Length < RequestPayloadLength || payload.Length > MaxHashesPayloadLength)
            throw new PeerProtocolException($"hashes payload of {payload.Length} bytes is out of range");
        Span<byte> header = stackalloc byte[RequestPayloadLength];
        payload.Slice(0, RequestPayloadLength).CopyTo(header);
        var request = ReadFields(header);
        var expected = (long)request.AnswerHashCount * HashSize;
        if (payload.Length - RequestPayloadLength != expected)
            throw new PeerProtocolException($"hashes message carries {payload.Length - RequestPayloadLength} bytes of hashes, its fields call for {expected}");
        hashes = payload.Slice(RequestPayloadLength).ToArray();
        return request;
    }

    private static HashRequest ReadFields(ReadOnlySpan<byte> bytes)
    {
        var root = Convert.ToHexStringLower(bytes[..HashSize]);
        var numbers = bytes[HashSize..];
        var baseLayer = BinaryPrimitives.ReadUInt32BigEndian(numbers);
        var index = BinaryPrimitives.ReadUInt32BigEndian(numbers[4..]);
        var length = BinaryPrimitives.ReadUInt32BigEndian(numbers[8..]);
        var proofLayers = BinaryPrimitives.ReadUInt32BigEndian(numbers[12..]);
        if (baseLayer > MaxProofLayers || proofLayers > MaxProofLayers)
            throw new PeerProtocolException($"hash request layer {baseLayer} or proof layers {proofLayers} out of range");
        // Whether the range makes sense for the file is the engine's question (it answers with a reject); here only sizes.
        if (length == 0 || length > MaxHashesPerRequest)
            throw new PeerProtocolException($"hash request length {length} is out of range (1 to {MaxHashesPerRequest})");
        if (index > int.MaxValue)
            throw new PeerProtocolException($"hash request index {index} is out of range");
        return new HashRequest(root, (int)baseLayer, (int)index, (int)length, (int)proofLayers);
    }

    private static void WriteHeader(Span<byte> frame, MessageId id, in HashRequest request, int payloadLength)
    {
        BinaryPrimitives.WriteUInt32BigEndian(frame, (uint)(1 + payloadLength));
        frame[4] = (byte)id;
        if (Convert.FromHexString(request.Root, frame.Slice(5, HashSize), out _, out var written) != OperationStatus.Done || written != HashSize)
            throw new ArgumentException("the pieces root is 64 hex characters", nameof(request));
        var numbers = frame[(5 + HashSize)..];
        BinaryPrimitives.WriteUInt32BigEndian(numbers, (uint)request.BaseLayer);
        BinaryPrimitives.WriteUInt32BigEndian(numbers[4..], (uint)request.Index);
        BinaryPrimitives.WriteUInt32BigEndian(numbers[8..], (uint)request.Length);
        BinaryPrimitives.WriteUInt32BigEndian(numbers[12..], (uint)request.ProofLayers);
    }
}
