using P2PShare.Metainfo;

namespace P2PShare.Protocol.Wire;

/// <summary>The 68-byte BEP 3 handshake: protocol string, 8 reserved bytes, info-hash, peer id.</summary>
internal sealed record Handshake(ulong Reserved, InfoHash InfoHash, PeerId PeerId)
{
    public const int Size = 68;
    private static ReadOnlySpan<byte> Protocol => "\u0013BitTorrent protocol"u8;

    /// <summary>Reserved bit 43 (BEP 10 extension protocol) and bit 2 (BEP 5 DHT), numbered from the high bit.</summary>
    public const ulong ExtensionProtocolBit = 0x0000_0000_0010_0000UL;

    /// <summary>BEP 5: the last reserved byte's 0x01, "I run a DHT node and send PORT messages".</summary>
    public const ulong DhtBit = 0x01UL;

    public bool SupportsDht => (Reserved & DhtBit) != 0;

    /// <summary>BEP 6 (Fast extension): bit 0x04 of the last reserved byte.</summary>
    public const ulong FastExtensionBit = 0x0000_0000_0000_0004UL;

    /// <summary>Whether this handshake sets the BEP 6 bit (both sides must, for Fast messages to be used).</summary>
    public bool SupportsFastExtension => (Reserved & FastExtensionBit) != 0;

    /// <summary>BEP 52: bit 0x10 of the last reserved byte, "I support v2": for a hybrid both sides then use v2 hashes,
    /// and a peer answers hash requests only from a peer that set it (or that used the v2 info-hash).</summary>
    public const ulong V2UpgradeBit = 0x10UL;

    public bool SupportsV2 => (Reserved & V2UpgradeBit) != 0;

    public void WriteTo(Span<byte> destination)
    {
        Protocol.CopyTo(destination);
        System.Buffers.Binary.BinaryPrimitives.WriteUInt64BigEndian(destination[20..], Reserved);
        InfoHash.Span.CopyTo(destination[28..]);
        PeerId.Span.CopyTo(destination[48..]);
    }

    public static Handshake Parse(ReadOnlySpan<byte> source)
    {
        if (source.Length < Size)
            throw new PeerProtocolException($"handshake is {source.Length} bytes, expected {Size}");
        if (!source[..20].SequenceEqual(Protocol))
            throw new PeerProtocolException("not a BitTorrent handshake");
        var reserved = System.Buffers.Binary.BinaryPrimitives.ReadUInt64BigEndian(source[20..]);
        return new Handshake(reserved, new InfoHash(source.Slice(28, 20)), new PeerId(source.Slice(48, 20)));
    }
}
