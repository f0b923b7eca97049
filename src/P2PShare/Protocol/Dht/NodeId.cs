using System.Buffers.Binary;
using System.Numerics;

namespace P2PShare.Protocol.Dht;

/// <summary>
/// A 160-bit DHT node id (BEP 5), also used for lookup targets and info-hashes. Held as three big-endian words
/// so XOR distance and comparisons allocate nothing.
/// </summary>
internal readonly struct NodeId : IEquatable<NodeId>, IComparable<NodeId>
{
    public const int Length = 20;
    public const int Bits = 160;
    private readonly ulong _high;
    private readonly ulong _middle;
    private readonly uint _low;

    private NodeId(ulong high, ulong middle, uint low)
    {
        _high = high;
        _middle = middle;
        _low = low;
    }

    public NodeId(ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length != Length)
            throw new ArgumentException($"a node id is {Length} bytes, not {bytes.Length}", nameof(bytes));
        _high = BinaryPrimitives.ReadUInt64BigEndian(bytes);
        _middle = BinaryPrimitives.ReadUInt64BigEndian(bytes[8..]);
        _low = BinaryPrimitives.ReadUInt32BigEndian(bytes[16..]);
    }

    public static NodeId Random(Random random)
    {
        Span<byte> bytes = stackalloc byte[Length];
        random.NextBytes(bytes);
        return new NodeId(bytes);
    }

    public static NodeId Parse(string hex) => new(Convert.FromHexString(hex));

    public void WriteTo(Span<byte> destination)
    {
        BinaryPrimitives.WriteUInt64BigEndian(destination, _high);
        BinaryPrimitives.WriteUInt64BigEndian(destination[8..], _middle);
        BinaryPrimitives.WriteUInt32BigEndian(destination[16..], _low);
    }

    public byte[] ToArray()
    {
        var bytes = new byte[Length];
        WriteTo(bytes);
        return bytes;
    }

    public NodeId Xor(NodeId other) => new(_high ^ other._high, _middle ^ other._middle, _low ^ other._low);

    /// <summary>Number of leading bits this id shares with <paramref name="other"/> (160 when equal).</summary>
    public int CommonPrefixLength(NodeId other)
    {
        var d = Xor(other);
        if (d._high != 0)
            return BitOperations.LeadingZeroCount(d._high);
        if (d._middle != 0)
            return 64 + BitOperations.LeadingZeroCount(d._middle);
        if (d._low != 0)
            return 128 + BitOperations.LeadingZeroCount(d._low);
        return Bits;
    }

    /// <summary>Bit <paramref name="index"/> counted from the most significant (0..159).</summary>
    public bool GetBit(int index)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(index, Bits);
        return index switch
        {
            < 64 => (_high >> (63 - index) & 1) != 0,
            < 128 => (_middle >> (127 - index) & 1) != 0,
            _ => (_low >> (159 - index) & 1) != 0,
        };
    }

    /// <summary>Which of <paramref name="a"/> and <paramref name="b"/> is closer to this id (negative: a).</summary>
    public int CompareDistance(NodeId a, NodeId b) => Xor(a).CompareTo(Xor(b));

    public int CompareTo(NodeId other)
    {
        var c = _high.CompareTo(other._high);
        if (c != 0)
            return c;
        c = _middle.CompareTo(other._middle);
        return c != 0 ? c : _low.CompareTo(other._low);
    }

    public bool Equals(NodeId other) => _high == other._high && _middle == other._middle && _low == other._low;

    public override bool Equals(object? obj) => obj is NodeId other && Equals(other);

    public override int GetHashCode() => HashCode.Combine(_high, _middle, _low);

    public static bool operator ==(NodeId left, NodeId right) => left.Equals(right);

    public static bool operator !=(NodeId left, NodeId right) => !left.Equals(right);

    public static bool operator <(NodeId left, NodeId right) => left.CompareTo(right) < 0;

    public static bool operator >(NodeId left, NodeId right) => left.CompareTo(right) > 0;

    public static bool operator <=(NodeId left, NodeId right) => left.CompareTo(right) <= 0;

    public static bool operator >=(NodeId left, NodeId right) => left.CompareTo(right) >= 0;

    public override string ToString() => Convert.ToHexStringLower(ToArray());
}
