namespace P2PShare.Metainfo;

/// <summary>The 20-byte SHA-1 of a torrent's bencoded info dictionary (BitTorrent v1).</summary>
public sealed class InfoHash : IEquatable<InfoHash>
{
    public const int Length = 20;
    private readonly byte[] _bytes;

    public InfoHash(ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length != Length)
            throw new ArgumentException($"an info-hash is {Length} bytes, not {bytes.Length}", nameof(bytes));
        _bytes = bytes.ToArray();
    }

    public ReadOnlySpan<byte> Span => _bytes;

    public ReadOnlyMemory<byte> Memory => _bytes;

    public string Hex => Convert.ToHexStringLower(_bytes);

    public string Base32 => Base32Encoding.Encode(_bytes);

    /// <summary>Parses 40 hex characters or 32 base32 characters, as magnet links carry them.</summary>
    public static InfoHash Parse(string text)
    {
        if (TryParse(text, out var hash))
            return hash;
        throw new FormatException($"'{text}' is not an info-hash (40 hex or 32 base32 characters)");
    }

    public static bool TryParse(string text, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out InfoHash? hash)
    {
        hash = null;
        Span<byte> bytes = stackalloc byte[Length];
        if (text.Length == 40 && Convert.FromHexString(text, bytes, out _, out var written) == System.Buffers.OperationStatus.Done && written == Length)
            hash = new InfoHash(bytes);
        else if (text.Length == 32 && Base32Encoding.TryDecode(text, bytes))
            hash = new InfoHash(bytes);
        return hash is not null;
    }

    public bool Equals(InfoHash? other) => other is not null && _bytes.AsSpan().SequenceEqual(other._bytes);

    public override bool Equals(object? obj) => obj is InfoHash other && Equals(other);

    public override int GetHashCode() => BitConverter.ToInt32(_bytes, 0);

    public override string ToString() => Hex;
}
