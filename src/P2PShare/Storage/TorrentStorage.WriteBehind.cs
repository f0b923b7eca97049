namespace P2PShare.Storage;

internal sealed partial class TorrentStorage
{
    /// <summary>Flushes each file in the background every <see cref="TorrentStorageOptions.WriteBehindBytes"/> written (<see cref="Storage.WriteBehind"/>).</summary>
    private readonly WriteBehind _writeBehind;

    /// <summary>For tests and diagnostics: the background flushes.</summary>
    internal WriteBehind WriteBehind => _writeBehind;
}
