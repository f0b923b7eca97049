using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using P2PShare.Bencode;
using P2PShare.Protocol.Wire;

namespace P2PShare.Protocol.Extensions;

/// <summary>
/// A BEP 11 ut_pex message: the peers the sender connected to ('added', with one flag byte each in 'added.f')
/// and those it lost ('dropped') since its last message, as compact IPv4 entries (4 address bytes, 2 port
/// bytes) and in 'added6'/'added6.f'/'dropped6' as compact IPv6 entries (16 + 2). Both families share the
/// lists here. Decoding is strict and bounded: a list longer than <see cref="MaxEntriesPerList"/> or a length
/// that is not a whole number of entries is a protocol violation; unknown keys are ignored; entries with port
/// 0 are skipped.
/// </summary>
internal sealed record PexMessage
{
    /// <summary>BEP 11: a sender puts at most this many peers in 'added' and in 'dropped'.</summary>
    public const int MaxSentPerList = 50;

    /// <summary>What we accept per list and family: generous towards senders that exceed BEP 11, still bounded.</summary>
    public const int MaxEntriesPerList = 200;

    /// <summary>Largest body decoded: all six lists full, plus their keys, fits well within this.</summary>
    public const int MaxEncodedLength = 16 * 1024;

    private const int V4Length = 6;
    private const int V6Length = 18;

    public IReadOnlyList<PexPeer> Added { get; init; } = [];

    public IReadOnlyList<IPEndPoint> Dropped { get; init; } = [];

    public byte[] Encode()
    {
        var root = new BDictionary();
        var added4 = Added.Where(p => p.EndPoint.AddressFamily == AddressFamily.InterNetwork).ToList();
        var added6 = Added.Where(p => p.EndPoint.AddressFamily == AddressFamily.InterNetworkV6).ToList();
        root["added"] = new BString(Compact(added4.Select(p => p.EndPoint), V4Length));
        root["added.f"] = new BString(added4.Select(p => p.Flags).ToArray());
        root["dropped"] = new BString(Compact(Dropped.Where(e => e.AddressFamily == AddressFamily.InterNetwork), V4Length));
        if (added6.Count > 0 || Dropped.Any(e => e.AddressFamily == AddressFamily.InterNetworkV6))
        {
            root["added6"] = new BString(Compact(added6.Select(p => p.EndPoint), V6Length));
            root["added6.f"] = new BString(added6.Select(p => p.Flags).ToArray());
            root["dropped6"] = new BString(Compact(Dropped.Where(e => e.AddressFamily == AddressFamily.InterNetworkV6), V6Length));
        }
        return BencodeEncoder.Encode(root);
    }

    public static PexMessage Parse(ReadOnlyMemory<byte> body)
    {
        if (body.Length > MaxEncodedLength)
            throw Bad($"{body.Length} bytes is too long");
        BValue value;
        try
        {
            value = BencodeDecoder.Decode(body, new BencodeOptions { MaxDepth = 4 });
        }
        catch (BencodeException error)
        {
            throw Bad($"not bencode ({error.Message})");
        }
        if (value is not BDictionary root)
            throw Bad("not a dictionary");
        var added = new List<PexPeer>();
        ReadAdded(root, "added", "added.f", V4Length, added);
        ReadAdded(root, "added6", "added6.f", V6Length, added);
        var dropped = new List<IPEndPoint>();
        dropped.AddRange(ReadEntries(root, "dropped", V4Length).Select(e => e.EndPoint));
        dropped.AddRange(ReadEntries(root, "dropped6", V6Length).Select(e => e.EndPoint));
        return new PexMessage { Added = added, Dropped = dropped };
    }

    private static void ReadAdded(BDictionary root, string key, string flagsKey, int entryLength, List<PexPeer> added)
    {
        var entries = ReadEntries(root, key, entryLength);
        var flags = Bytes(root, flagsKey);
        if (flags is { } f && f.Length != Count(root, key, entryLength))
            throw Bad($"'{flagsKey}' has {f.Length} flags for {Count(root, key, entryLength)} peers");
        foreach (var (position, endPoint) in entries)
            added.Add(new PexPeer(endPoint, flags is { } present ? present.Span[position] : (byte)0));
    }

    private static int Count(BDictionary root, string key, int entryLength) => (Bytes(root, key)?.Length ?? 0) / entryLength;

    /// <summary>The entries of one compact list with their positions in it; port 0 entries are left out.</summary>
    private static List<(int Position, IPEndPoint EndPoint)> ReadEntries(BDictionary root, string key, int entryLength)
    {
        var entries = new List<(int, IPEndPoint)>();
        if (Bytes(root, key) is not { } bytes)
            return entries;
        if (bytes.Length % entryLength != 0)
            throw Bad($"'{key}' is {bytes.Length} bytes, not a multiple of {entryLength}");
        if (bytes.Length / entryLength > MaxEntriesPerList)
            throw Bad($"'{key}' lists {bytes.Length / entryLength} peers, more than {MaxEntriesPerList}");
        var span = bytes.Span;
        for (var i = 0; i < bytes.Length / entryLength; i++)
        {
            var entry = span.Slice(i * entryLength, entryLength);
            var port = BinaryPrimitives.ReadUInt16BigEndian(entry[^2..]);
            if (port != 0)
                entries.Add((i, new IPEndPoint(new IPAddress(entry[..^2]), port)));
        }
        return entries;
    }

    private static ReadOnlyMemory<byte>? Bytes(BDictionary root, string key) => root[key] switch
    {
        // Typed: a bare null would convert to an empty memory through the array conversion.
        null => (ReadOnlyMemory<byte>?)null,
        BString text => text.Bytes,
        _ => throw Bad($"'{key}' is not a string"),
    };

    private static byte[] Compact(IEnumerable<IPEndPoint> endPoints, int entryLength)
    {
        var list = endPoints.ToList();
        var bytes = new byte[list.Count * entryLength];
        for (var i = 0; i < list.Count; i++)
        {
            var entry = bytes.AsSpan(i * entryLength, entryLength);
            if (!list[i].Address.TryWriteBytes(entry[..^2], out var written) || written != entryLength - 2)
                throw new ArgumentException($"{list[i]} does not fit a {entryLength}-byte entry");
            BinaryPrimitives.WriteUInt16BigEndian(entry[^2..], (ushort)list[i].Port);
        }
        return bytes;
    }

    private static PeerProtocolException Bad(string problem) => new($"ut_pex: {problem}");
}
