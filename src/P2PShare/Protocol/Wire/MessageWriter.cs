using System.Buffers.Binary;

namespace P2PShare.Protocol.Wire;

/// <summary>Pure BEP 3 message encoding into caller-provided spans. Each method returns the bytes written.</summary>
internal static class MessageWriter
{
    public const int PieceHeaderLength = 13;
    public const int RequestLength = 17;

    public static int WriteKeepAlive(Span<byte> destination)
    {
        BinaryPrimitives.WriteUInt32BigEndian(destination, 0);
        return 4;
    }

    /// <summary>choke, unchoke, interested, not interested, have all, have none: a length of 1 and the id.</summary>
    public static int WriteSimple(Span<byte> destination, MessageId id)
    {
        BinaryPrimitives.WriteUInt32BigEndian(destination, 1);
        destination[4] = (byte)id;
        return 5;
    }

    public static int WriteHave(Span<byte> destination, int pieceIndex) => WritePieceIndex(destination, MessageId.Have, pieceIndex);

    /// <summary>BEP 6 suggest piece.</summary>
    public static int WriteSuggestPiece(Span<byte> destination, int pieceIndex) => WritePieceIndex(destination, MessageId.SuggestPiece, pieceIndex);

    /// <summary>BEP 6 allowed fast.</summary>
    public static int WriteAllowedFast(Span<byte> destination, int pieceIndex) => WritePieceIndex(destination, MessageId.AllowedFast, pieceIndex);

    /// <summary>BEP 6 have all (sent instead of a bitfield, only to a peer that set the Fast bit).</summary>
    public static int WriteHaveAll(Span<byte> destination) => WriteSimple(destination, MessageId.HaveAll);

    /// <summary>BEP 6 have none (sent instead of a bitfield, only to a peer that set the Fast bit).</summary>
    public static int WriteHaveNone(Span<byte> destination) => WriteSimple(destination, MessageId.HaveNone);

    public static int BitfieldLength(ReadOnlySpan<byte> bits) => 5 + bits.Length;

    public static int WriteBitfield(Span<byte> destination, ReadOnlySpan<byte> bits)
    {
        BinaryPrimitives.WriteUInt32BigEndian(destination, (uint)(1 + bits.Length));
        destination[4] = (byte)MessageId.Bitfield;
        bits.CopyTo(destination[5..]);
        return 5 + bits.Length;
    }

    public static int WriteRequest(Span<byte> destination, int index, int begin, int length) =>
        WriteBlockReference(destination, MessageId.Request, index, begin, length);

    public static int WriteCancel(Span<byte> destination, int index, int begin, int length) =>
        WriteBlockReference(destination, MessageId.Cancel, index, begin, length);

    /// <summary>BEP 6 reject request: the request's (index, begin, length) that will not be served.</summary>
    public static int WriteRejectRequest(Span<byte> destination, int index, int begin, int length) =>
        WriteBlockReference(destination, MessageId.RejectRequest, index, begin, length);

    /// <summary>The 13 bytes before a block's data; the data follows without a copy into this buffer.</summary>
    public static int WritePieceHeader(Span<byte> destination, int index, int begin, int dataLength)
    {
        BinaryPrimitives.WriteUInt32BigEndian(destination, (uint)(9 + dataLength));
        destination[4] = (byte)MessageId.Piece;
        BinaryPrimitives.WriteInt32BigEndian(destination[5..], index);
        BinaryPrimitives.WriteInt32BigEndian(destination[9..], begin);
        return PieceHeaderLength;
    }

    public static int WritePort(Span<byte> destination, ushort port)
    {
        BinaryPrimitives.WriteUInt32BigEndian(destination, 3);
        destination[4] = (byte)MessageId.Port;
        BinaryPrimitives.WriteUInt16BigEndian(destination[5..], port);
        return 7;
    }

    private static int WritePieceIndex(Span<byte> destination, MessageId id, int pieceIndex)
    {
        BinaryPrimitives.WriteUInt32BigEndian(destination, 5);
        destination[4] = (byte)id;
        BinaryPrimitives.WriteInt32BigEndian(destination[5..], pieceIndex);
        return 9;
    }

    private static int WriteBlockReference(Span<byte> destination, MessageId id, int index, int begin, int length)
    {
        BinaryPrimitives.WriteUInt32BigEndian(destination, 13);
        destination[4] = (byte)id;
        BinaryPrimitives.WriteInt32BigEndian(destination[5..], index);
        BinaryPrimitives.WriteInt32BigEndian(destination[9..], begin);
        BinaryPrimitives.WriteInt32BigEndian(destination[13..], length);
        return RequestLength;
    }
}
