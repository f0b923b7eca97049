namespace P2PShare.Tests.Encryption;

/// <summary>
/// RC4 as the textbook states it (byte table, one byte per step, array indexing with bounds checks): the
/// yardstick that the optimised <see cref="P2PShare.Networking.Encryption.Rc4"/> is compared with, for its
/// output and its speed.
/// </summary>
internal sealed class ReferenceRc4
{
    private readonly byte[] _s = new byte[256];
    private int _i;
    private int _j;

    public ReferenceRc4(ReadOnlySpan<byte> key)
    {
        for (var n = 0; n < 256; n++)
            _s[n] = (byte)n;
        for (int n = 0, j = 0; n < 256; n++)
        {
            j = (j + _s[n] + key[n % key.Length]) & 0xFF;
            (_s[n], _s[j]) = (_s[j], _s[n]);
        }
    }

    public void Transform(Span<byte> data)
    {
        for (var n = 0; n < data.Length; n++)
        {
            _i = (_i + 1) & 0xFF;
            _j = (_j + _s[_i]) & 0xFF;
            (_s[_i], _s[_j]) = (_s[_j], _s[_i]);
            data[n] ^= _s[(_s[_i] + _s[_j]) & 0xFF];
        }
    }
}
