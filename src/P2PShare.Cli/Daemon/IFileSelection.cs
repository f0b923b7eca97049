using P2PShare.Engine.Picking;
using P2PShare.Hosting;

namespace P2PShare.Cli.Daemon;

/// <summary>The seam to the engine's per-file selection (wanted / not wanted, priorities), for torrent-set.</summary>
internal interface IFileSelection
{
    bool IsSupported { get; }

    /// <summary>Applies the selection to the torrent's current run (if any) and its next runs.</summary>
    /// <param name="unwanted">File indexes not to download.</param>
    /// <param name="priorities">Per file: -1 low, 0 normal, 1 high (empty: all normal).</param>
    Task ApplyAsync(ManagedTorrent torrent, int fileCount, IReadOnlyList<int> unwanted, IReadOnlyList<int> priorities, CancellationToken cancellationToken);
}

/// <summary>The engine's selection: Transmission's wanted flags and priorities become one <see cref="FilePriority"/> per file.</summary>
internal sealed class EngineFileSelection : IFileSelection
{
    public bool IsSupported => true;

    public Task ApplyAsync(ManagedTorrent torrent, int fileCount, IReadOnlyList<int> unwanted, IReadOnlyList<int> priorities, CancellationToken cancellationToken)
    {
        var result = new FilePriority[fileCount];
        for (var i = 0; i < fileCount; i++)
        {
            result[i] = (i < priorities.Count ? priorities[i] : 0) switch
            {
                < 0 => FilePriority.Low,
                > 0 => FilePriority.High,
                _ => FilePriority.Normal,
            };
        }
        foreach (var index in unwanted)
        {
            if (index >= 0 && index < fileCount)
                result[index] = FilePriority.Skip;
        }
        return torrent.SetFilePrioritiesAsync(result, cancellationToken);
    }
}
