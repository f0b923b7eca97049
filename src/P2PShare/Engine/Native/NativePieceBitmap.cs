using System.Numerics;

namespace P2PShare.Engine.Native;

/// <summary>Which pieces of the file are on disk and verified. Not thread-safe: the owner locks.</summary>
public sealed class NativePieceBitmap
{
    private readonly byte[] _bits;

    public NativePieceBitmap(int pieceCount)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(pieceCount);
        PieceCount = pieceCount;
        _bits = new byte[(pieceCount + 7) / 8];
    }

    public int PieceCount { get; }

    public int Count { get; private set; }

    public bool IsComplete => Count == PieceCount;

    public bool Has(int index) => (_bits[index >> 3] & (1 << (index & 7))) != 0;

    /// <summary>Marks a piece; returns false when it was already set.</summary>
    public bool Set(int index)
    {
        if (Has(index))
            return false;
        _bits[index >> 3] |= (byte)(1 << (index & 7));
        Count++;
        return true;
    }

    public void Clear(int index)
    {
        if (!Has(index))
            return;
        _bits[index >> 3] &= (byte)~(1 << (index & 7));
        Count--;
    }

    public void SetAll()
    {
        for (var i = 0; i < PieceCount; i++)
            Set(i);
    }

    public void ClearAll()
    {
        Array.Clear(_bits);
        Count = 0;
    }

    public IEnumerable<int> SetIndices()
    {
        for (var i = 0; i < PieceCount; i++)
            if (Has(i))
                yield return i;
    }

    public byte[] ToBytes() => (byte[])_bits.Clone();

    /// <summary>Restores a bitmap; bits past <paramref name="pieceCount"/> must be zero.</summary>
    public static NativePieceBitmap FromBytes(ReadOnlySpan<byte> bytes, int pieceCount)
    {
        var bitmap = new NativePieceBitmap(pieceCount);
        if (bytes.Length != bitmap._bits.Length)
            throw new InvalidDataException($"bitmap has {bytes.Length} bytes, {bitmap._bits.Length} expected for {pieceCount} pieces");
        bytes.CopyTo(bitmap._bits);
        var spare = bitmap._bits.Length * 8 - pieceCount;
        if (spare > 0 && (bitmap._bits[^1] >> (8 - spare)) != 0)
            throw new InvalidDataException("bitmap marks pieces past the end of the file");
        foreach (var b in bitmap._bits)
            bitmap.Count += BitOperations.PopCount(b);
        return bitmap;
    }
}
