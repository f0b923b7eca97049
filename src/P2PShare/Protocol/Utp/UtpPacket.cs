namespace P2PShare.Protocol.Utp;

/// <summary>
/// A parsed uTP datagram: the header, the selective-ACK bitmask if present, and the payload. Spans point into the
/// datagram; nothing is copied. Parsing is strict: a bad version or type, a truncated or overlong extension chain, a
/// malformed selective ACK, or a payload on a packet type that carries none is refused with a reason.
/// </summary>
internal readonly ref struct UtpPacket
{
    /// <summary>Extension type 1 (BEP 29): a bitmask of packets received after ack_nr + 1.</summary>
    public const byte SelectiveAckExtension = 1;

    /// <summary>Longest selective-ACK bitmask accepted (libtorrent sends at most 32 bytes; the BEP allows any multiple of 4).</summary>
    public const int MaxSelectiveAckLength = 128;

    /// <summary>More extensions than this in one packet is not a real peer.</summary>
    public const int MaxExtensions = 8;

    public UtpPacket(UtpHeader header, ReadOnlySpan<byte> selectiveAck, ReadOnlySpan<byte> payload)
    {
        Header = header;
        SelectiveAck = selectiveAck;
        Payload = payload;
    }

    public UtpHeader Header { get; }

    /// <summary>Empty when the packet has no selective ACK; else its bitmask (bit 0 of byte 0 = ack_nr + 2).</summary>
    public ReadOnlySpan<byte> SelectiveAck { get; }

    public ReadOnlySpan<byte> Payload { get; }

    public static bool TryParse(ReadOnlySpan<byte> datagram, out UtpPacket packet, out string? error)
    {
        packet = default;
        if (datagram.Length < UtpHeader.Size)
            return Fail(out error, $"datagram of {datagram.Length} bytes is shorter than a uTP header");
        if ((datagram[0] & 0x0F) != UtpHeader.Version)
            return Fail(out error, $"uTP version {datagram[0] & 0x0F}, expected 1");
        var type = datagram[0] >> 4;
        if (type > (int)UtpPacketType.Syn)
            return Fail(out error, $"unknown uTP packet type {type}");
        var header = UtpHeader.ReadFrom(datagram);
        var next = datagram[1];
        var offset = UtpHeader.Size;
        ReadOnlySpan<byte> selectiveAck = default;
        var extensions = 0;
        while (next != 0)
        {
            if (++extensions > MaxExtensions)
                return Fail(out error, "too many uTP extensions");
            if (datagram.Length - offset < 2)
                return Fail(out error, "truncated uTP extension header");
            var kind = next;
            next = datagram[offset];
            int length = datagram[offset + 1];
            offset += 2;
            if (datagram.Length - offset < length)
                return Fail(out error, $"uTP extension {kind} of {length} bytes runs past the datagram");
            if (kind == SelectiveAckExtension)
            {
                // BEP 29 says a multiple of 4, but libtorrent sends any length (seen: 2, 13, 22, 26): accept 1 and up.
                if (length == 0 || length > MaxSelectiveAckLength)
                    return Fail(out error, $"selective ACK of {length} bytes (must be 1 to {MaxSelectiveAckLength})");
                if (!selectiveAck.IsEmpty)
                    return Fail(out error, "two selective ACK extensions");
                selectiveAck = datagram.Slice(offset, length);
            }
            // Other extensions (2 = libtorrent's close reason, ...) are skipped.
            offset += length;
        }
        var payload = datagram[offset..];
        if (!payload.IsEmpty && header.Type is not UtpPacketType.Data)
            return Fail(out error, $"uTP {header.Type} packet with {payload.Length} bytes of payload");
        packet = new UtpPacket(header, selectiveAck, payload);
        error = null;
        return true;
    }

    private static bool Fail(out string? error, string reason)
    {
        error = reason;
        return false;
    }
}
