using System.Buffers.Binary;

namespace P2PShare.Protocol.Utp;

/// <summary>
/// The fixed 20-byte BEP 29 header. All fields are big-endian: type and version (one byte), the first extension's
/// type, connection id, the sender's microsecond clock, the difference it last measured (its receive time minus our
/// timestamp), its advertised receive window in bytes, and the 16-bit sequence and acknowledgement numbers.
/// </summary>
internal readonly record struct UtpHeader(
    UtpPacketType Type,
    ushort ConnectionId,
    uint TimestampMicroseconds,
    uint TimestampDifferenceMicroseconds,
    uint WindowSize,
    ushort SequenceNumber,
    ushort AckNumber)
{
    public const int Size = 20;
    public const byte Version = 1;

    /// <summary>True when the datagram could be uTP: version 1 in the low nibble and a known type in the high one.</summary>
    public static bool LooksLikeUtp(ReadOnlySpan<byte> datagram) =>
        datagram.Length >= Size && (datagram[0] & 0x0F) == Version && (datagram[0] >> 4) <= (int)UtpPacketType.Syn;

    /// <summary>Writes the header with <paramref name="firstExtension"/> in the extension byte (0 = none).</summary>
    public void WriteTo(Span<byte> destination, byte firstExtension = 0)
    {
        destination[0] = (byte)(((int)Type << 4) | Version);
        destination[1] = firstExtension;
        BinaryPrimitives.WriteUInt16BigEndian(destination[2..], ConnectionId);
        BinaryPrimitives.WriteUInt32BigEndian(destination[4..], TimestampMicroseconds);
        BinaryPrimitives.WriteUInt32BigEndian(destination[8..], TimestampDifferenceMicroseconds);
        BinaryPrimitives.WriteUInt32BigEndian(destination[12..], WindowSize);
        BinaryPrimitives.WriteUInt16BigEndian(destination[16..], SequenceNumber);
        BinaryPrimitives.WriteUInt16BigEndian(destination[18..], AckNumber);
    }

    internal static UtpHeader ReadFrom(ReadOnlySpan<byte> source) => new(
        (UtpPacketType)(source[0] >> 4),
        BinaryPrimitives.ReadUInt16BigEndian(source[2..]),
        BinaryPrimitives.ReadUInt32BigEndian(source[4..]),
        BinaryPrimitives.ReadUInt32BigEndian(source[8..]),
        BinaryPrimitives.ReadUInt32BigEndian(source[12..]),
        BinaryPrimitives.ReadUInt16BigEndian(source[16..]),
        BinaryPrimitives.ReadUInt16BigEndian(source[18..]));
}
