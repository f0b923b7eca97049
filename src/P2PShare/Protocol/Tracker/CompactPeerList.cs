using System.Buffers.Binary;
using System.Net;

namespace P2PShare.Protocol.Tracker;

/// <summary>BEP 23 (IPv4, 6 bytes per peer) and BEP 7 (IPv6, 18 bytes per peer) compact peer lists.</summary>
internal static class CompactPeerList
{
    public const int IPv4EntryLength = 6;
    public const int IPv6EntryLength = 18;

    public static List<IPEndPoint> ParseIPv4(ReadOnlySpan<byte> data) => Parse(data, 4);

    public static List<IPEndPoint> ParseIPv6(ReadOnlySpan<byte> data) => Parse(data, 16);

    /// <summary>Adds the peers to <paramref name="into"/>; peers with port 0 are skipped (nobody listens there).</summary>
    public static void Parse(ReadOnlySpan<byte> data, int addressLength, List<IPEndPoint> into)
    {
        var entry = addressLength + 2;
        if (data.Length % entry != 0)
            throw new TrackerProtocolException($"compact peer list of {data.Length} bytes is not a multiple of {entry}");
        for (var offset = 0; offset < data.Length; offset += entry)
        {
            var port = BinaryPrimitives.ReadUInt16BigEndian(data.Slice(offset + addressLength, 2));
            if (port == 0)
                continue;
            into.Add(new IPEndPoint(new IPAddress(data.Slice(offset, addressLength)), port));
        }
    }

    private static List<IPEndPoint> Parse(ReadOnlySpan<byte> data, int addressLength)
    {
        var peers = new List<IPEndPoint>(data.Length / (addressLength + 2));
        Parse(data, addressLength, peers);
        return peers;
    }

    /// <summary>Encodes peers of one address family (used by tests and by PEX-style callers).</summary>
    public static byte[] Encode(IEnumerable<IPEndPoint> peers, int addressLength)
    {
        var list = peers.ToList();
        var entry = addressLength + 2;
        var bytes = new byte[list.Count * entry];
        for (var i = 0; i < list.Count; i++)
        {
            var span = bytes.AsSpan(i * entry, entry);
            if (!list[i].Address.TryWriteBytes(span, out var written) || written != addressLength)
                throw new ArgumentException($"{list[i]} is not a {addressLength}-byte address", nameof(peers));
            BinaryPrimitives.WriteUInt16BigEndian(span[addressLength..], (ushort)list[i].Port);
        }
        return bytes;
    }
}
