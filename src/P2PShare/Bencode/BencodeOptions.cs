namespace P2PShare.Bencode;

internal sealed record BencodeOptions
{
    public static BencodeOptions Strict { get; } = new();

    /// <summary>Deepest nesting of lists and dictionaries accepted; guards the stack against hostile input.</summary>
    public int MaxDepth { get; init; } = 256;

    /// <summary>
    /// Whether dictionary keys must appear in sorted order. Off by default: some real torrents have
    /// unsorted keys, and the raw bytes are kept, so hashes stay right either way.
    /// </summary>
    public bool RequireSortedKeys { get; init; }

    /// <summary>
    /// Most values (integers, strings, lists, dictionaries) in one input. Each costs an object however short its bytes,
    /// so this bounds the memory a small input can make the decoder allocate (a 20 MB list of one-byte strings).
    /// </summary>
    public int MaxTokens { get; init; } = int.MaxValue;

    /// <summary>
    /// Dictionary keys from the top-level value down (["info", "files"]) to one value that is checked as strictly as any
    /// other but not built: it decodes to a <see cref="BDeferred"/> holding its bytes, for a caller that reads them in
    /// place (a torrent's file list: as a tree, 100,000 files are 700,000 objects). Null or empty: everything is built.
    /// </summary>
    public IReadOnlyList<string>? DeferredPath { get; init; }
}
