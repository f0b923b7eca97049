namespace P2PShare.Bencode;

public sealed record BencodeOptions
{
    public static BencodeOptions Strict { get; } = new();

    /// <summary>Deepest nesting of lists and dictionaries accepted; guards the stack against hostile input.</summary>
    public int MaxDepth { get; init; } = 256;

    /// <summary>
    /// Whether dictionary keys must appear in sorted order. Off by default: some real torrents have
    /// unsorted keys, and the raw bytes are kept, so hashes stay right either way.
    /// </summary>
    public bool RequireSortedKeys { get; init; }
}
