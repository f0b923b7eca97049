using System.Buffers.Binary;

namespace P2PShare.Tests.Support;

/// <summary>
/// The BEP 3 peer wire written by hand for the raw test peers (<see cref="MisbehavingLeecher"/>,
/// <see cref="MisbehavingSeeder"/>). It deliberately does not use the client's codecs: the test peers
/// must be able to send what those codecs never would, and must not share a bug with what they test.
/// </summary>
public static class RawPeerWire
{
    /// <summary>The usual request size (16 KiB).</summary>
    public const int BlockLength = 16 * 1024;

    /// <summary>pstrlen, "BitTorrent protocol", 8 reserved bytes, info-hash, peer id.</summary>
    public const int HandshakeLength = 68;

    public const byte Choke = 0;
    public const byte Unchoke = 1;
    public const byte Interested = 2;
    public const byte Have = 4;
    public const byte Bitfield = 5;
    public const byte Request = 6;
    public const byte Piece = 7;

    private const int InfoHashOffset = 28;
    private const int PeerIdOffset = 48;

    private static ReadOnlySpan<byte> ProtocolName => "BitTorrent protocol"u8;

    /// <summary>A peer id "-MB0001-" followed by 12 random bytes.</summary>
    public static byte[] NewPeerId()
    {
        var peerId = new byte[20];
        "-MB0001-"u8.CopyTo(peerId);
        Random.Shared.NextBytes(peerId.AsSpan(8));
        return peerId;
    }

    /// <summary>Our handshake: no extension bits set.</summary>
    public static byte[] Handshake(ReadOnlySpan<byte> infoHash, ReadOnlySpan<byte> peerId)
    {
        ArgumentOutOfRangeException.ThrowIfNotEqual(infoHash.Length, 20);
        ArgumentOutOfRangeException.ThrowIfNotEqual(peerId.Length, 20);
        var handshake = new byte[HandshakeLength];
        handshake[0] = (byte)ProtocolName.Length;
        ProtocolName.CopyTo(handshake.AsSpan(1));
        infoHash.CopyTo(handshake.AsSpan(InfoHashOffset));
        peerId.CopyTo(handshake.AsSpan(PeerIdOffset));
        return handshake;
    }

    /// <summary>Why <paramref name="handshake"/> is not one for <paramref name="infoHash"/>, or null when it is.</summary>
    public static string? HandshakeProblem(ReadOnlySpan<byte> handshake, ReadOnlySpan<byte> infoHash)
    {
        if (handshake.Length != HandshakeLength || handshake[0] != ProtocolName.Length || !handshake.Slice(1, ProtocolName.Length).SequenceEqual(ProtocolName))
        {
            return "not a BitTorrent handshake";
        }
        return handshake.Slice(InfoHashOffset, 20).SequenceEqual(infoHash) ? null : "the handshake names another info-hash";
    }

    public static byte[] PeerIdOf(ReadOnlySpan<byte> handshake) => handshake.Slice(PeerIdOffset, 20).ToArray();

    /// <summary>One framed message: 4-byte big-endian length (id + payload), id, payload.</summary>
    public static byte[] Message(byte id, ReadOnlySpan<byte> payload)
    {
        var frame = new byte[5 + payload.Length];
        BinaryPrimitives.WriteInt32BigEndian(frame, 1 + payload.Length);
        frame[4] = id;
        payload.CopyTo(frame.AsSpan(5));
        return frame;
    }

    /// <summary>The 17 bytes of a request message.</summary>
    public static byte[] RequestMessage(int index, int begin, int length)
    {
        Span<byte> payload = stackalloc byte[12];
        BinaryPrimitives.WriteInt32BigEndian(payload, index);
        BinaryPrimitives.WriteInt32BigEndian(payload[4..], begin);
        BinaryPrimitives.WriteInt32BigEndian(payload[8..], length);
        return Message(Request, payload);
    }

    /// <summary>A piece message carrying <paramref name="block"/>.</summary>
    public static byte[] PieceMessage(int index, int begin, ReadOnlySpan<byte> block)
    {
        var payload = new byte[8 + block.Length];
        BinaryPrimitives.WriteInt32BigEndian(payload, index);
        BinaryPrimitives.WriteInt32BigEndian(payload.AsSpan(4), begin);
        block.CopyTo(payload.AsSpan(8));
        return Message(Piece, payload);
    }

    /// <summary>A request's (index, begin, length), or null when <paramref name="message"/> (id + payload) is not a request.</summary>
    public static (int Index, int Begin, int Length)? ParseRequest(ReadOnlySpan<byte> message) =>
        message.Length == 13 && message[0] == Request
            ? (BinaryPrimitives.ReadInt32BigEndian(message[1..]), BinaryPrimitives.ReadInt32BigEndian(message[5..]),
                BinaryPrimitives.ReadInt32BigEndian(message[9..]))
            : null;

    /// <summary>A piece message's block, or null when <paramref name="message"/> (id + payload) is not a piece.</summary>
    public static ReceivedBlock? ParsePiece(ReadOnlySpan<byte> message) =>
        message.Length >= 9 && message[0] == Piece
            ? new ReceivedBlock(BinaryPrimitives.ReadInt32BigEndian(message[1..]), BinaryPrimitives.ReadInt32BigEndian(message[5..]), message[9..].ToArray())
            : null;
}
