namespace P2PShare.Metainfo;

/// <summary>RFC 4648 base32 (upper-case alphabet, no padding), as used for info-hashes in magnet links.</summary>
internal static class Base32Encoding
{
    private const string Alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

    public static string Encode(ReadOnlySpan<byte> data)
    {
        var output = new char[(data.Length * 8 + 4) / 5];
        int buffer = 0, bits = 0, position = 0;
        foreach (var b in data)
        {
            buffer = (buffer << 8) | b;
            bits += 8;
            while (bits >= 5)
            {
                output[position++] = Alphabet[(buffer >> (bits - 5)) & 31];
                bits -= 5;
            }
        }
        if (bits > 0)
            output[position++] = Alphabet[(buffer << (5 - bits)) & 31];
        return new string(output, 0, position);
    }

    public static bool TryDecode(ReadOnlySpan<char> text, Span<byte> destination)
    {
        if (text.Length * 5 / 8 != destination.Length)
            return false;
        int buffer = 0, bits = 0, position = 0;
        foreach (var c in text)
        {
            var value = Alphabet.IndexOf(char.ToUpperInvariant(c));
            if (value < 0)
                return false;
            buffer = (buffer << 5) | value;
            bits += 5;
            if (bits >= 8)
            {
                destination[position++] = (byte)(buffer >> (bits - 8));
                bits -= 8;
            }
        }
        return position == destination.Length;
    }
}
