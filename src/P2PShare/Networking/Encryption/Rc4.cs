using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace P2PShare.Networking.Encryption;

/// <summary>
/// The RC4 stream cipher (MSE's only cipher). One instance is one direction of one connection: its state
/// advances with every byte transformed. Works in place on spans; allocates only its 256-byte state.
/// </summary>
public sealed class Rc4
{
    /// <summary>MSE discards this many keystream bytes after keying (the weak start of RC4's output).</summary>
    public const int MseDiscard = 1024;

    private readonly byte[] _state = new byte[256];
    private byte _i;
    private byte _j;

    public Rc4(ReadOnlySpan<byte> key)
    {
        if (key.IsEmpty || key.Length > 256)
            throw new ArgumentException($"an RC4 key is 1 to 256 bytes, not {key.Length}", nameof(key));
        var s = _state;
        for (var n = 0; n < 256; n++)
            s[n] = (byte)n;
        var j = 0;
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
            scratch[..n].Clear();
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
        // No bounds checks in the loop: byte indices into a 256-byte table cannot be out of range.
        ref var s = ref MemoryMarshal.GetArrayDataReference(_state);
        ref var src = ref MemoryMarshal.GetReference(source);
        ref var dst = ref MemoryMarshal.GetReference(destination);
        nuint i = _i;
        nuint j = _j;
        for (var n = 0; n < source.Length; n++)
        {
            i = (i + 1) & 0xFF;
            var si = Unsafe.Add(ref s, i);
            j = (j + si) & 0xFF;
            var sj = Unsafe.Add(ref s, j);
            Unsafe.Add(ref s, i) = sj;
            Unsafe.Add(ref s, j) = si;
            Unsafe.Add(ref dst, n) = (byte)(Unsafe.Add(ref src, n) ^ Unsafe.Add(ref s, (nuint)(byte)(si + sj)));
        }
        _i = (byte)i;
        _j = (byte)j;
    }
}
