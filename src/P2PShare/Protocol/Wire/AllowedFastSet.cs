using System.Buffers.Binary;
using System.Net;
using System.Security.Cryptography;

namespace P2PShare.Protocol.Wire;

/// <summary>
/// BEP 6's canonical allowed-fast set: the pieces a peer at a given IPv4 address may request while choked.
/// Derived from the address's /24 and the info-hash by repeated SHA-1, so both sides (and every peer behind one
/// /24) get the same set and nobody gains by reconnecting or using several addresses in one network.
/// </summary>
internal static class AllowedFastSet
{
    /// <summary>How many pieces libtorrent and the BEP's example use.</summary>
    public const int DefaultCount = 10;

    /// <summary>
    /// The first <paramref name="count"/> distinct pieces for <paramref name="address"/> (IPv4 or IPv4-mapped IPv6).
    /// Native IPv6 addresses get an empty set: BEP 6 defines the derivation for IPv4 only. Fewer than
    /// <paramref name="count"/> only when the torrent has fewer pieces.
    /// </summary>
    public static int[] Generate(IPAddress address, ReadOnlySpan<byte> infoHash, int pieceCount, int count = DefaultCount)
    {
        ArgumentNullException.ThrowIfNull(address);
        ArgumentOutOfRangeException.ThrowIfNotEqual(infoHash.Length, 20);
        ArgumentOutOfRangeException.ThrowIfNegative(pieceCount);
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        if (address.IsIPv4MappedToIPv6)
            address = address.MapToIPv4();
        if (address.AddressFamily != System.Net.Sockets.AddressFamily.InterNetwork || pieceCount == 0)
            return [];

        count = Math.Min(count, pieceCount);
        var result = new List<int>(count);
        Span<byte> x = stackalloc byte[24];
        address.TryWriteBytes(x, out _);
        x[3] = 0; // the /24: 0xFFFFFF00 & ip
        infoHash.CopyTo(x[4..]);
        Span<byte> hash = stackalloc byte[20];
        Span<byte> next = stackalloc byte[20];
        SHA1.HashData(x, hash);
        while (true)
        {
            for (var i = 0; i < 5 && result.Count < count; i++)
            {
                var index = (int)(BinaryPrimitives.ReadUInt32BigEndian(hash[(i * 4)..]) % (uint)pieceCount);
                if (!result.Contains(index))
                    result.Add(index);
            }
            if (result.Count >= count)
                return [.. result];
            SHA1.HashData(hash, next);
            next.CopyTo(hash);
        }
    }
}
