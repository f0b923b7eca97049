using System.Numerics;

namespace P2PShare.Protocol;

/// <summary>
/// One bit per piece, in the wire order of BEP 3 (piece 0 is the high bit of byte 0).
/// Not thread-safe: owners guard it.
/// </summary>
internal sealed class Bitfield
{
    private readonly byte[] _bytes;

    public Bitfield(int length)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        Length = length;
        _bytes = new byte[ByteLengthFor(length)];
    }

    public int Length { get; }

    public int CountSet { get; private set; }

    public bool IsComplete => CountSet == Length;

    public bool IsEmpty => CountSet == 0;

    public ReadOnlySpan<byte> Bytes => _bytes;

    public static int ByteLengthFor(int bits) => (bits + 7) / 8;

    /// <summary>Whether any bit set here is clear in <paramref name="other"/> (a bitfield of the same length), a byte at a time.</summary>
    public bool HasAnyNotIn(Bitfield other)
    {
        ArgumentNullException.ThrowIfNull(other);
        if (other.Length != Length)
            throw new ArgumentException($"bitfields of {Length} and {other.Length} bits", nameof(other));
        var mine = _bytes;
        var theirs = other._bytes;
        for (var i = 0; i < mine.Length; i++)
            if ((mine[i] & ~theirs[i]) != 0)
                return true;
        return false;
    }

    /// <summary>A copy of this with every bit that is set in <paramref name="other"/> cleared (same length), a byte at a time.</summary>
    public Bitfield Except(Bitfield other)
    {
        ArgumentNullException.ThrowIfNull(other);
        if (other.Length != Length)
            throw new ArgumentException($"bitfields of {Length} and {other.Length} bits", nameof(other));
        var result = new Bitfield(Length);
        for (var i = 0; i < _bytes.Length; i++)
        {
            result._bytes[i] = (byte)(_bytes[i] & ~other._bytes[i]);
            result.CountSet += BitOperations.PopCount(result._bytes[i]);
        }
        return result;
    }

    public bool this[int index]
    {
        get => (_bytes[index >> 3] & (0x80 >> (index & 7))) != 0;
        set
        {
            ArgumentOutOfRangeException.ThrowIfNegative(index);
            ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(index, Length);
            var mask = (byte)(0x80 >> (index & 7));
            var had = (_bytes[index >> 3] & mask) != 0;
            if (had == value)
                return;
            if (value)
                _bytes[index >> 3] |= mask;
            else
                _bytes[index >> 3] &= (byte)~mask;
            CountSet += value ? 1 : -1;
        }
    }

    /// <summary>Reads wire bytes; false when the length is wrong or spare trailing bits are set (BEP 3 says drop the peer).</summary>
    public static bool TryFromBytes(ReadOnlySpan<byte> bytes, int length, out Bitfield bitfield)
    {
        bitfield = new Bitfield(length);
        if (bytes.Length != bitfield._bytes.Length)
            return false;
        var spareBits = bitfield._bytes.Length * 8 - length;
        if (spareBits > 0 && (bytes[^1] & ((1 << spareBits) - 1)) != 0)
            return false;
        bytes.CopyTo(bitfield._bytes);
        bitfield.CountSet = 0;
        foreach (var b in bitfield._bytes)
            bitfield.CountSet += BitOperations.PopCount(b);
        return true;
    }

    public void SetAll()
    {
        for (var i = 0; i < Length; i++)
            this[i] = true;
    }

    public Bitfield Clone()
    {
        TryFromBytes(_bytes, Length, out var copy);
        return copy;
    }

    public IEnumerable<int> SetIndices()
    {
        for (var i = 0; i < Length; i++)
            if (this[i])
                yield return i;
    }
}
