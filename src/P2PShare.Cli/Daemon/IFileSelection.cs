using P2PShare.Hosting;

namespace P2PShare.Cli.Daemon;

/// <summary>
/// The seam to the engine's per-file selection (wanted / not wanted, priorities). The engine's side is being built on
/// another branch; until it lands <see cref="NoFileSelection"/> says so and torrent-set refuses those arguments.
/// </summary>
internal interface IFileSelection
{
    bool IsSupported { get; }

    /// <summary>Applies the selection to the torrent's current run (if any) and its next runs.</summary>
    /// <param name="unwanted">File indexes not to download.</param>
    /// <param name="priorities">Per file: -1 low, 0 normal, 1 high (empty: all normal).</param>
    void Apply(TorrentHost host, ManagedTorrent torrent, IReadOnlyList<int> unwanted, IReadOnlyList<int> priorities);
}

internal sealed class NoFileSelection : IFileSelection
{
    public bool IsSupported => false;

    public void Apply(TorrentHost host, ManagedTorrent torrent, IReadOnlyList<int> unwanted, IReadOnlyList<int> priorities) =>
        throw new NotSupportedException("file selection is not supported by this engine yet");
}
