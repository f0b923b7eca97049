using System.Buffers.Binary;
using System.Net;

namespace P2PShare.Protocol.PortMapping;

/// <summary>
/// NAT-PMP (RFC 6886) packets, sent to the gateway's UDP port 5351: the external address request and answer, and
/// the mapping request and answer (a lifetime of 0 deletes a mapping).
/// </summary>
internal static class NatPmpPacket
{
    public const int ServerPort = 5351;
    public const byte Version = 0;
    private const byte OpExternalAddress = 0;
    private const byte ResponseBit = 128;

    public static byte[] ExternalAddressRequest() => [Version, OpExternalAddress];

    /// <summary>A mapping request; <paramref name="lifetime"/> zero (with external port 0) deletes the mapping.</summary>
    public static byte[] MapRequest(TransportProtocol protocol, int internalPort, int suggestedExternalPort, TimeSpan lifetime)
    {
        var packet = new byte[12];
        packet[0] = Version;
        packet[1] = Opcode(protocol);
        BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(4), checked((ushort)internalPort));
        BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(6), checked((ushort)suggestedExternalPort));
        BinaryPrimitives.WriteUInt32BigEndian(packet.AsSpan(8), checked((uint)lifetime.TotalSeconds));
        return packet;
    }

    public static NatPmpAddressResponse ParseExternalAddressResponse(ReadOnlySpan<byte> datagram)
    {
        var result = Header(datagram, OpExternalAddress);
        if (result != NatPmpResult.Success)
            return new NatPmpAddressResponse(result, 0, null);
        if (datagram.Length < 12)
            throw new PortMappingProtocolException($"NAT-PMP address answer of {datagram.Length} bytes (12 expected)");
        return new NatPmpAddressResponse(result, BinaryPrimitives.ReadUInt32BigEndian(datagram[4..]), new IPAddress(datagram.Slice(8, 4)));
    }

    public static NatPmpMapResponse ParseMapResponse(ReadOnlySpan<byte> datagram, TransportProtocol protocol)
    {
        var result = Header(datagram, Opcode(protocol));
        if (result != NatPmpResult.Success)
            return new NatPmpMapResponse(result, 0, 0, 0, TimeSpan.Zero);
        if (datagram.Length < 16)
            throw new PortMappingProtocolException($"NAT-PMP mapping answer of {datagram.Length} bytes (16 expected)");
        return new NatPmpMapResponse(result, BinaryPrimitives.ReadUInt32BigEndian(datagram[4..]), BinaryPrimitives.ReadUInt16BigEndian(datagram[8..]),
            BinaryPrimitives.ReadUInt16BigEndian(datagram[10..]), TimeSpan.FromSeconds(BinaryPrimitives.ReadUInt32BigEndian(datagram[12..])));
    }

    private static byte Opcode(TransportProtocol protocol) => protocol == TransportProtocol.Udp ? (byte)1 : (byte)2;

    private static NatPmpResult Header(ReadOnlySpan<byte> datagram, byte opcode)
    {
        if (datagram.Length < 4)
            throw new PortMappingProtocolException($"NAT-PMP answer of {datagram.Length} bytes");
        if (datagram[0] != Version)
            throw new PortMappingProtocolException($"NAT-PMP answer of version {datagram[0]}");
        if (datagram[1] != (byte)(ResponseBit | opcode))
            throw new PortMappingProtocolException($"NAT-PMP answer to opcode {datagram[1] & 0x7F}, not {opcode}");
        return (NatPmpResult)BinaryPrimitives.ReadUInt16BigEndian(datagram[2..]);
    }
}
