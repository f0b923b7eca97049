namespace P2PShare.Metainfo;

/// <summary>
/// The BEP 52 info-hash: SHA-256 of the bencoded info dictionary. On the wire, to trackers and in the DHT it is
/// truncated to its first 20 bytes (<see cref="Truncated"/>).
/// </summary>
internal sealed class InfoHashV2 : IEquatable<InfoHashV2>
{
    public const int Length = 32;
    private readonly byte[] _bytes;

    public InfoHashV2(ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length != Length)
            throw new ArgumentException($"a v2 info-hash is {Length} bytes, not {bytes.Length}", nameof(bytes));
        _bytes = bytes.ToArray();
    }

    public ReadOnlySpan<byte> Span => _bytes;

    public string Hex => Convert.ToHexStringLower(_bytes);

    /// <summary>The first 20 bytes, which stand for the torrent wherever a v1 info-hash would.</summary>
    public InfoHash Truncated => new(_bytes.AsSpan(0, InfoHash.Length));

    /// <summary>Parses 64 hex characters.</summary>
    public static bool TryParse(string text, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out InfoHashV2? hash)
    {
        hash = null;
        Span<byte> bytes = stackalloc byte[Length];
        if (text.Length == 2 * Length
            && Convert.FromHexString(text, bytes, out _, out var written) == System.Buffers.OperationStatus.Done && written == Length)
            hash = new InfoHashV2(bytes);
        return hash is not null;
    }

    public bool Equals(InfoHashV2? other) => other is not null && _bytes.AsSpan().SequenceEqual(other._bytes);

    public override bool Equals(object? obj) => obj is InfoHashV2 other && Equals(other);

    public override int GetHashCode() => BitConverter.ToInt32(_bytes, 0);

    public override string ToString() => Hex;
}
