using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace P2PShare.Networking.Encryption;

/// <summary>
/// The RC4 stream cipher (MSE's only cipher). One instance is one direction of one connection: its state
/// advances with every byte transformed. Works in place on spans; allocates only its state table.
/// </summary>
/// <remarks>
/// The permutation is kept as 256 32-bit words rather than bytes (a word load/store is cheaper than a byte
/// one with its zero extension, and the table still fits in L1), and <see cref="Transform(ReadOnlySpan{byte}, Span{byte})"/>
/// gathers eight keystream bytes into one 64-bit word that is XORed with eight data bytes at once. About 1.8x
/// the speed of the byte-at-a-time loop here; walking i by reference within runs that do not wrap adds ~10% (docs/benchmarks.md).
/// </remarks>
internal sealed class Rc4
{
    /// <summary>MSE discards this many keystream bytes after keying (the weak start of RC4's output).</summary>
    public const int MseDiscard = 1024;

    private readonly uint[] _state = new uint[256];
    private byte _i;
    private byte _j;

    public Rc4(ReadOnlySpan<byte> key)
    {
        if (key.IsEmpty || key.Length > 256)
            throw new ArgumentException($"an RC4 key is 1 to 256 bytes, not {key.Length}", nameof(key));
        var s = _state;
        for (var n = 0; n < 256; n++)
            s[n] = (uint)n;
        uint j = 0;
        for (var n = 0; n < 256; n++)
        {
            j = (j + s[n] + key[n % key.Length]) & 0xFF;
            (s[n], s[j]) = (s[j], s[n]);
        }
    }

    /// <summary>A cipher keyed for MSE: the first <see cref="MseDiscard"/> keystream bytes already dropped.</summary>
    public static Rc4 ForMse(ReadOnlySpan<byte> key)
    {
        var rc4 = new Rc4(key);
        rc4.Skip(MseDiscard);
        return rc4;
    }

    /// <summary>Advances the keystream by <paramref name="count"/> bytes without using them.</summary>
    public void Skip(int count)
    {
        Span<byte> scratch = stackalloc byte[256];
        while (count > 0)
        {
            var n = Math.Min(count, scratch.Length);
            Transform(scratch[..n]);
            count -= n;
        }
    }

    /// <summary>XORs the keystream into <paramref name="data"/> in place (encrypts or decrypts).</summary>
    public void Transform(Span<byte> data) => Transform(data, data);

    /// <summary>Writes <paramref name="source"/> XOR keystream to <paramref name="destination"/> (may be the same memory).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void Transform(ReadOnlySpan<byte> source, Span<byte> destination)
    {
        if (destination.Length < source.Length)
            throw new ArgumentException("destination is shorter than source", nameof(destination));
        // No bounds checks: every index into the 256-entry table is masked to a byte. Eight bytes are read
        // before eight are written, so the same memory (or the same span) as source and destination is fine;
        // partially overlapping spans are not supported (nobody passes them).
        ref var s = ref MemoryMarshal.GetArrayDataReference(_state);
        ref var src = ref MemoryMarshal.GetReference(source);
        ref var dst = ref MemoryMarshal.GetReference(destination);
        uint i = _i;
        uint j = _j;
        var length = source.Length;
        var n = 0;
        while (n <= length - 8)
        {
            if (i > 247)
            {
                // The next eight values of i would wrap past 255: step one byte at a time until they do not.
                Unsafe.Add(ref dst, n) = (byte)(Unsafe.Add(ref src, n) ^ Next(ref s, ref i, ref j));
                n++;
                continue;
            }
            // i + 1 .. i + 8 are all below 256: address them from one reference, without masking i at each step
            // (about 10% faster than masking it every byte;
            // written out by hand: through an inlined helper taking the slot by reference the JIT's code was slower).
            ref var p = ref Unsafe.Add(ref s, i + 1);
            uint si, sj;
            ulong k;
            si = p; j = (byte)(j + si); sj = Unsafe.Add(ref s, j); p = sj; Unsafe.Add(ref s, j) = si;
            k = Unsafe.Add(ref s, (byte)(si + sj));
            si = Unsafe.Add(ref p, 1); j = (byte)(j + si); sj = Unsafe.Add(ref s, j); Unsafe.Add(ref p, 1) = sj; Unsafe.Add(ref s, j) = si;
            k |= (ulong)Unsafe.Add(ref s, (byte)(si + sj)) << 8;
            si = Unsafe.Add(ref p, 2); j = (byte)(j + si); sj = Unsafe.Add(ref s, j); Unsafe.Add(ref p, 2) = sj; Unsafe.Add(ref s, j) = si;
            k |= (ulong)Unsafe.Add(ref s, (byte)(si + sj)) << 16;
            si = Unsafe.Add(ref p, 3); j = (byte)(j + si); sj = Unsafe.Add(ref s, j); Unsafe.Add(ref p, 3) = sj; Unsafe.Add(ref s, j) = si;
            k |= (ulong)Unsafe.Add(ref s, (byte)(si + sj)) << 24;
            si = Unsafe.Add(ref p, 4); j = (byte)(j + si); sj = Unsafe.Add(ref s, j); Unsafe.Add(ref p, 4) = sj; Unsafe.Add(ref s, j) = si;
            k |= (ulong)Unsafe.Add(ref s, (byte)(si + sj)) << 32;
            si = Unsafe.Add(ref p, 5); j = (byte)(j + si); sj = Unsafe.Add(ref s, j); Unsafe.Add(ref p, 5) = sj; Unsafe.Add(ref s, j) = si;
            k |= (ulong)Unsafe.Add(ref s, (byte)(si + sj)) << 40;
            si = Unsafe.Add(ref p, 6); j = (byte)(j + si); sj = Unsafe.Add(ref s, j); Unsafe.Add(ref p, 6) = sj; Unsafe.Add(ref s, j) = si;
            k |= (ulong)Unsafe.Add(ref s, (byte)(si + sj)) << 48;
            si = Unsafe.Add(ref p, 7); j = (byte)(j + si); sj = Unsafe.Add(ref s, j); Unsafe.Add(ref p, 7) = sj; Unsafe.Add(ref s, j) = si;
            k |= (ulong)Unsafe.Add(ref s, (byte)(si + sj)) << 56;
            i += 8;
            Unsafe.WriteUnaligned(ref Unsafe.Add(ref dst, n), Unsafe.ReadUnaligned<ulong>(ref Unsafe.Add(ref src, n)) ^ k);
            n += 8;
        }
        for (; n < length; n++)
            Unsafe.Add(ref dst, n) = (byte)(Unsafe.Add(ref src, n) ^ Next(ref s, ref i, ref j));
        _i = (byte)i;
        _j = (byte)j;
    }

    /// <summary>One step of the generator: the next keystream byte (in the low 8 bits).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static uint Next(ref uint s, ref uint i, ref uint j)
    {
        i = (byte)(i + 1);
        var si = Unsafe.Add(ref s, i);
        j = (byte)(j + si);
        var sj = Unsafe.Add(ref s, j);
        Unsafe.Add(ref s, i) = sj;
        Unsafe.Add(ref s, j) = si;
        return Unsafe.Add(ref s, (byte)(si + sj));
    }
}
