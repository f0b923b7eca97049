namespace P2PShare.Storage;

internal sealed partial class TorrentStorage
{
    /// <summary>Starts each file's writeback every few MiB written, so a later fsync waits for little (<see cref="Storage.WriteBehind"/>).</summary>
    private readonly WriteBehind _writeBehind = new(WriteBehind.DefaultThresholdBytes);

    /// <summary>For tests and diagnostics: the writebacks started early.</summary>
    internal WriteBehind WriteBehind => _writeBehind;
}
