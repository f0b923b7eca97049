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
    public const byte Cancel = 8;
    public const byte Extended = 20;

    // BEP 6 (Fast extension).
    public const byte SuggestPiece = 0x0D;
    public const byte HaveAll = 0x0E;
    public const byte HaveNone = 0x0F;
    public const byte RejectRequest = 0x10;
    public const byte AllowedFast = 0x11;

    /// <summary>The ut_metadata id the raw peers announce in their extended handshake.</summary>
    public const byte RawUtMetadataId = 1;

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

    /// <summary>
    /// Our handshake: no extension bits set, BEP 10's (reserved byte 5, 0x10) when <paramref name="extensionProtocol"/>,
    /// the Fast extension's (reserved byte 7, 0x04) when <paramref name="fast"/>.
    /// </summary>
    public static byte[] Handshake(ReadOnlySpan<byte> infoHash, ReadOnlySpan<byte> peerId, bool extensionProtocol = false, bool fast = false)
    {
        ArgumentOutOfRangeException.ThrowIfNotEqual(infoHash.Length, 20);
        ArgumentOutOfRangeException.ThrowIfNotEqual(peerId.Length, 20);
        var handshake = new byte[HandshakeLength];
        handshake[0] = (byte)ProtocolName.Length;
        ProtocolName.CopyTo(handshake.AsSpan(1));
        if (extensionProtocol)
        {
            handshake[20 + 5] = 0x10;
        }
        if (fast)
        {
            handshake[20 + 7] |= 0x04;
        }
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

    /// <summary>A message of (index, begin, length): request, cancel, reject request.</summary>
    public static byte[] BlockMessage(byte id, int index, int begin, int length)
    {
        Span<byte> payload = stackalloc byte[12];
        BinaryPrimitives.WriteInt32BigEndian(payload, index);
        BinaryPrimitives.WriteInt32BigEndian(payload[4..], begin);
        BinaryPrimitives.WriteInt32BigEndian(payload[8..], length);
        return Message(id, payload);
    }

    /// <summary>A message carrying one piece index: have, suggest piece, allowed fast.</summary>
    public static byte[] IndexMessage(byte id, int index)
    {
        Span<byte> payload = stackalloc byte[4];
        BinaryPrimitives.WriteInt32BigEndian(payload, index);
        return Message(id, payload);
    }

    /// <summary>(index, begin, length) of a message (id + payload) of that shape with id <paramref name="id"/>, else null.</summary>
    public static (int Index, int Begin, int Length)? ParseBlockMessage(ReadOnlySpan<byte> message, byte id) =>
        message.Length == 13 && message[0] == id
            ? (BinaryPrimitives.ReadInt32BigEndian(message[1..]), BinaryPrimitives.ReadInt32BigEndian(message[5..]),
                BinaryPrimitives.ReadInt32BigEndian(message[9..]))
            : null;

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

    /// <summary>Whether a handshake sets the BEP 10 bit.</summary>
    public static bool HasExtensionProtocol(ReadOnlySpan<byte> handshake) => (handshake[20 + 5] & 0x10) != 0;

    /// <summary>A BEP 10 extended message: id 20, the extended id, then <paramref name="body"/> (bencode written by hand).</summary>
    public static byte[] ExtendedMessage(byte extendedId, ReadOnlySpan<byte> body)
    {
        var payload = new byte[1 + body.Length];
        payload[0] = extendedId;
        body.CopyTo(payload.AsSpan(1));
        return Message(Extended, payload);
    }

    /// <summary>An extended handshake offering ut_metadata under <see cref="RawUtMetadataId"/> with this metadata_size.</summary>
    public static byte[] MetadataHandshake(long metadataSize) =>
        ExtendedMessage(0, System.Text.Encoding.ASCII.GetBytes(FormattableString.Invariant($"d1:md11:ut_metadatai{RawUtMetadataId}ee13:metadata_sizei{metadataSize}ee")));

    /// <summary>The extended id and body of an id 20 message (id + payload), or null for another message.</summary>
    public static (byte ExtendedId, byte[] Body)? ParseExtended(ReadOnlySpan<byte> message) =>
        message.Length >= 2 && message[0] == Extended ? (message[1], message[2..].ToArray()) : null;

    /// <summary>The value of an integer key in hand-written bencode ("11:ut_metadatai3e" → 3), or null.</summary>
    public static long? FindInteger(ReadOnlySpan<byte> bencode, string key)
    {
        var match = System.Text.RegularExpressions.Regex.Match(System.Text.Encoding.Latin1.GetString(bencode),
            FormattableString.Invariant($"{key.Length}:{System.Text.RegularExpressions.Regex.Escape(key)}i(-?\\d+)e"));
        return match.Success ? long.Parse(match.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture) : null;
    }

    /// <summary>A ut_metadata data message: its dictionary and <paramref name="data"/>.</summary>
    public static byte[] MetadataData(byte remoteId, int piece, long totalSize, ReadOnlySpan<byte> data)
    {
        var head = System.Text.Encoding.ASCII.GetBytes(FormattableString.Invariant($"d8:msg_typei1e5:piecei{piece}e10:total_sizei{totalSize}ee"));
        var body = new byte[head.Length + data.Length];
        head.CopyTo(body, 0);
        data.CopyTo(body.AsSpan(head.Length));
        return ExtendedMessage(remoteId, body);
    }
}
