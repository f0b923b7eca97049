using Microsoft.Extensions.Logging;
using P2PShare.Metainfo;

namespace P2PShare.Cli.Daemon;

/// <summary>
/// Adds the .torrent files that appear in the watch directory (polled: works on any file system, network mounts
/// included), then renames each to .torrent.added (or .torrent.invalid) so it is added once.
/// </summary>
internal sealed class WatchDirectory(TorrentService service, ILogger<WatchDirectory> logger)
{
    /// <summary>Files taken per scan: a directory flooded with files is worked through over several scans.</summary>
    public const int MaxPerScan = 50;

    /// <summary>Paths remembered as not renamable; when full the set starts again (those files are then tried once more).</summary>
    public const int MaxSkipped = 10_000;

    private const long MaxTorrentBytes = 16 * 1024 * 1024;

    // Scans run one at a time (the daemon's tick), so the set needs no lock.
    private readonly HashSet<string> _skipped = new(StringComparer.Ordinal);

    public async Task ScanAsync(string directory, CancellationToken cancellationToken)
    {
        if (!Directory.Exists(directory))
            return;
        foreach (var path in Directory.EnumerateFiles(directory, "*.torrent").Where(p => !_skipped.Contains(p)).Take(MaxPerScan))
        {
            var info = new FileInfo(path);
            // A file still being written: wait for the next scan.
            if (DateTime.UtcNow - info.LastWriteTimeUtc < TimeSpan.FromSeconds(1))
                continue;
            string suffix;
            try
            {
                if (info.Length > MaxTorrentBytes)
                    throw new InvalidDataException($"larger than {MaxTorrentBytes} bytes");
                var bytes = await BoundedFile.ReadAsync(path, MaxTorrentBytes, cancellationToken).ConfigureAwait(false)
                    ?? throw new InvalidDataException($"larger than {MaxTorrentBytes} bytes");
                var result = await service.AddAsync(new AddRequest { Metainfo = bytes }, cancellationToken).ConfigureAwait(false);
                logger.LogInformation("Watch directory: {File} {Outcome} as torrent {Id}", path, result.Duplicate ? "was already added" : "added", result.Torrent.Id);
                suffix = ".added";
            }
            catch (Exception error) when (error is MetainfoException or InvalidDataException or IOException or ArgumentException or UnauthorizedAccessException)
            {
                logger.LogWarning("Watch directory: {File} is not a usable torrent: {Reason}", path, error.Message);
                suffix = ".invalid";
            }
            try
            {
                File.Move(path, path + suffix, overwrite: true);
            }
            catch (Exception error) when (error is IOException or UnauthorizedAccessException)
            {
                // Left where it is, it would be taken again at every scan, ahead of the files after it.
                if (_skipped.Count >= MaxSkipped)
                    _skipped.Clear();
                _skipped.Add(path);
                logger.LogWarning("Watch directory: could not rename {File}, passed over from now on: {Reason}", path, error.Message);
            }
        }
    }
}
