namespace P2PShare.Protocol.Utp;

/// <summary>
/// The selective-ACK bitmask (BEP 29 extension 1). Bit i (least significant bit first within each byte, bytes in
/// order) acknowledges sequence number ack_nr + 2 + i; ack_nr + 1 is implied missing.
/// </summary>
internal static class UtpSelectiveAck
{
    /// <summary>Length in bytes of a header plus a selective ACK of <paramref name="maskLength"/> bytes.</summary>
    public static int HeaderLength(int maskLength) => maskLength == 0 ? UtpHeader.Size : UtpHeader.Size + 2 + maskLength;

    public static bool IsAcked(ReadOnlySpan<byte> mask, ushort ackNumber, ushort sequence)
    {
        var bit = UtpSequence.Distance(ackNumber, sequence) - 2;
        if (bit < 0 || bit >= mask.Length * 8)
            return false;
        return (mask[bit >> 3] & (1 << (bit & 7))) != 0;
    }

    public static void Set(Span<byte> mask, ushort ackNumber, ushort sequence)
    {
        var bit = UtpSequence.Distance(ackNumber, sequence) - 2;
        if (bit < 0 || bit >= mask.Length * 8)
            throw new ArgumentOutOfRangeException(nameof(sequence), $"sequence {sequence} is outside the mask after ack {ackNumber}");
        mask[bit >> 3] |= (byte)(1 << (bit & 7));
    }

    /// <summary>Writes a header followed by the extension (type 1, no further extension) and <paramref name="mask"/>.</summary>
    public static int WritePacketHeader(Span<byte> destination, in UtpHeader header, ReadOnlySpan<byte> mask)
    {
        if (mask.IsEmpty)
        {
            header.WriteTo(destination);
            return UtpHeader.Size;
        }
        if (mask.Length % 4 != 0 || mask.Length > UtpPacket.MaxSelectiveAckLength)
            throw new ArgumentException($"a selective ACK of {mask.Length} bytes is not a multiple of 4 up to {UtpPacket.MaxSelectiveAckLength}", nameof(mask));
        header.WriteTo(destination, UtpPacket.SelectiveAckExtension);
        destination[UtpHeader.Size] = 0;
        destination[UtpHeader.Size + 1] = (byte)mask.Length;
        mask.CopyTo(destination[(UtpHeader.Size + 2)..]);
        return UtpHeader.Size + 2 + mask.Length;
    }
}
