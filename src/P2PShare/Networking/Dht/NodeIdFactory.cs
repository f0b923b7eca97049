using System.Net;
using System.Net.Sockets;
using System.Numerics;
using P2PShare.Protocol.Dht;

namespace P2PShare.Networking.Dht;

/// <summary>
/// Node ids per BEP 42: the first 21 bits come from CRC32-C of the masked external IPv4 address and 3 random
/// bits (kept in the last byte), so a node cannot choose where in the id space it sits. Local addresses
/// (loopback, private, link-local) are exempt.
/// </summary>
internal static class NodeIdFactory
{
    private static readonly byte[] V4Mask = [0x03, 0x0f, 0x3f, 0xff];

    /// <summary>A BEP 42 id when <paramref name="external"/> is a public IPv4 address, otherwise a random id.</summary>
    public static NodeId Create(IPAddress? external, Random random)
    {
        if (external is null || IsExempt(external))
            return NodeId.Random(random);
        Span<byte> id = stackalloc byte[NodeId.Length];
        random.NextBytes(id);
        var r = (byte)(id[19] & 0x07);
        var crc = Crc(external, r);
        id[0] = (byte)(crc >> 24);
        id[1] = (byte)(crc >> 16);
        id[2] = (byte)((crc >> 8 & 0xf8) | (uint)(id[2] & 0x07));
        return new NodeId(id);
    }

    /// <summary>Whether <paramref name="id"/> is a valid BEP 42 id for <paramref name="address"/> (always true for exempt addresses).</summary>
    public static bool IsValid(NodeId id, IPAddress address)
    {
        if (IsExempt(address))
            return true;
        Span<byte> bytes = stackalloc byte[NodeId.Length];
        id.WriteTo(bytes);
        var crc = Crc(address, (byte)(bytes[19] & 0x07));
        return bytes[0] == (byte)(crc >> 24) && bytes[1] == (byte)(crc >> 16) && (bytes[2] & 0xf8) == (byte)(crc >> 8 & 0xf8);
    }

    /// <summary>Loopback, private (RFC 1918), link-local, CGNAT and non-IPv4 addresses are not subject to BEP 42.</summary>
    public static bool IsExempt(IPAddress address)
    {
        if (address.IsIPv4MappedToIPv6)
            address = address.MapToIPv4();
        if (address.AddressFamily != AddressFamily.InterNetwork)
            return true;
        Span<byte> b = stackalloc byte[4];
        address.TryWriteBytes(b, out _);
        return b[0] is 10 or 127 or 0
            || (b[0] == 172 && (b[1] & 0xf0) == 16)
            || (b[0] == 192 && b[1] == 168)
            || (b[0] == 169 && b[1] == 254)
            || (b[0] == 100 && (b[1] & 0xc0) == 64);
    }

    private static uint Crc(IPAddress address, byte r)
    {
        Span<byte> ip = stackalloc byte[4];
        address.MapToIPv4().TryWriteBytes(ip, out _);
        for (var i = 0; i < 4; i++)
            ip[i] &= V4Mask[i];
        ip[0] |= (byte)(r << 5);
        var crc = 0xffffffffu;
        foreach (var b in ip)
            crc = BitOperations.Crc32C(crc, b);
        return ~crc;
    }
}
