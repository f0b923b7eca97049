using System.Buffers.Binary;
using System.Net;

namespace P2PShare.Protocol.PortMapping;

/// <summary>
/// PCP (RFC 6887) MAP requests and answers, on the same UDP port as NAT-PMP (5351). Addresses are 16 bytes
/// (IPv4 as IPv4-mapped IPv6). A server that speaks only NAT-PMP answers a version 2 request with a version 0
/// packet: <see cref="ParseMapResponse"/> reports that as <see cref="PcpResult.UnsupportedVersion"/>.
/// </summary>
internal static class PcpPacket
{
    public const byte Version = 2;
    public const int NonceLength = 12;
    private const byte OpMap = 1;
    private const int HeaderLength = 24;
    private const int MapLength = HeaderLength + 36;

    public static byte[] MapRequest(ReadOnlySpan<byte> nonce, TransportProtocol protocol, IPAddress client, int internalPort, int suggestedExternalPort,
        TimeSpan lifetime, IPAddress? suggestedExternalAddress = null)
    {
        if (nonce.Length != NonceLength)
            throw new ArgumentException($"a PCP nonce is {NonceLength} bytes", nameof(nonce));
        var packet = new byte[MapLength];
        packet[0] = Version;
        packet[1] = OpMap;
        BinaryPrimitives.WriteUInt32BigEndian(packet.AsSpan(4), checked((uint)lifetime.TotalSeconds));
        WriteAddress(packet.AsSpan(8, 16), client);
        nonce.CopyTo(packet.AsSpan(HeaderLength));
        packet[HeaderLength + 12] = (byte)protocol;
        BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(HeaderLength + 16), checked((ushort)internalPort));
        BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(HeaderLength + 18), checked((ushort)suggestedExternalPort));
        WriteAddress(packet.AsSpan(HeaderLength + 20, 16), suggestedExternalAddress ?? IPAddress.Any);
        return packet;
    }

    public static PcpMapResponse ParseMapResponse(ReadOnlySpan<byte> datagram)
    {
        if (datagram.Length >= 4 && datagram[0] == NatPmpPacket.Version)
            return new PcpMapResponse(PcpResult.UnsupportedVersion, TimeSpan.Zero, 0, [], TransportProtocol.Tcp, 0, 0, null);
        if (datagram.Length < HeaderLength)
            throw new PortMappingProtocolException($"PCP answer of {datagram.Length} bytes");
        if (datagram[0] != Version)
            throw new PortMappingProtocolException($"PCP answer of version {datagram[0]}");
        if (datagram[1] != (0x80 | OpMap))
            throw new PortMappingProtocolException($"PCP answer with opcode byte {datagram[1]:x2}, not a MAP response");
        var result = (PcpResult)datagram[3];
        var lifetime = TimeSpan.FromSeconds(BinaryPrimitives.ReadUInt32BigEndian(datagram[4..]));
        var epoch = BinaryPrimitives.ReadUInt32BigEndian(datagram[8..]);
        if (datagram.Length < MapLength)
        {
            if (result == PcpResult.Success)
                throw new PortMappingProtocolException($"PCP MAP answer of {datagram.Length} bytes ({MapLength} expected)");
            return new PcpMapResponse(result, lifetime, epoch, [], TransportProtocol.Tcp, 0, 0, null);
        }
        var payload = datagram[HeaderLength..];
        return new PcpMapResponse(result, lifetime, epoch, payload[..NonceLength].ToArray(), (TransportProtocol)payload[12],
            BinaryPrimitives.ReadUInt16BigEndian(payload[16..]), BinaryPrimitives.ReadUInt16BigEndian(payload[18..]), ReadAddress(payload.Slice(20, 16)));
    }

    private static void WriteAddress(Span<byte> destination, IPAddress address)
    {
        var v6 = address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork ? address.MapToIPv6() : address;
        if (!v6.TryWriteBytes(destination, out var written) || written != 16)
            throw new ArgumentException($"cannot write {address} as 16 bytes", nameof(address));
    }

    private static IPAddress ReadAddress(ReadOnlySpan<byte> bytes)
    {
        var address = new IPAddress(bytes);
        return address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address;
    }
}
