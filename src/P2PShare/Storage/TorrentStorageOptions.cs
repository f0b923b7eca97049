namespace P2PShare.Storage;

internal sealed record TorrentStorageOptions
{
    public static TorrentStorageOptions Default { get; } = new();

    /// <summary>Most file handles kept open at once; torrents with more files reopen them as needed.</summary>
    public int MaxOpenFiles { get; init; } = 64;
}
