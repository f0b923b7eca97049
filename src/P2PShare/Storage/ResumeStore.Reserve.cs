using P2PShare.Metainfo;

namespace P2PShare.Storage;

/// <summary>
/// Space kept for resume data on a disk that may fill up: beside each resume file a reserve file
/// (&lt;info-hash&gt;.resume.reserve) holds allocated blocks, twice the size of the last save and at least
/// <see cref="MinimumReserveBytes"/>. When the data fills the disk the state directory shares, a save that meets
/// "no space left" releases the reserve and writes into the space it freed, so the verified pieces are remembered and
/// the next run does not fetch them again. The reserve is made again (best effort) after each save.
/// </summary>
internal sealed partial class ResumeStore
{
    public const long MinimumReserveBytes = 256 * 1024;
    private const string ReserveExtension = ".resume.reserve";

    public string ReservePathFor(InfoHash infoHash) => Path.Combine(StateDirectory, infoHash.Hex + ReserveExtension);

    /// <summary>Makes (or grows) the reserve of a torrent now, while there is room; false when the disk had none.</summary>
    public bool TryReserve(InfoHash infoHash, long bytes)
    {
        ArgumentNullException.ThrowIfNull(infoHash);
        var path = ReservePathFor(infoHash);
        bytes = Math.Max(bytes, MinimumReserveBytes);
        try
        {
            EnsureNotLinked();
            CreateStateDirectory();
            var existing = new FileInfo(path);
            if (existing.Exists && existing.Length >= bytes)
                return true;
            // PreallocationSize asks the file system for real blocks (fallocate), not a sparse file: they are ours
            // even when the disk fills later.
            using var stream = new FileStream(path, new FileStreamOptions
            {
                Mode = FileMode.Create, Access = FileAccess.Write, Share = FileShare.None, PreallocationSize = bytes,
            });
            stream.SetLength(bytes);
            return true;
        }
        catch (Exception error) when (StorageErrors.IsIoFailure(error))
        {
            TryDelete(path);
            return false;
        }
    }

    /// <summary>Deletes a torrent's reserve (when its resume data is deleted).</summary>
    public void DeleteReserve(InfoHash infoHash) => TryDelete(ReservePathFor(infoHash));

    private async Task WriteWithinReserveAsync(InfoHash infoHash, string path, byte[] bytes, CancellationToken cancellationToken)
    {
        try
        {
            await AtomicFile.WriteAsync(path, bytes, cancellationToken).ConfigureAwait(false);
        }
        catch (IOException error) when (StorageErrors.IsNoSpace(error) && File.Exists(ReservePathFor(infoHash)))
        {
            // The disk is full: give back the reserved blocks and write into them.
            File.Delete(ReservePathFor(infoHash));
            await AtomicFile.WriteAsync(path, bytes, cancellationToken).ConfigureAwait(false);
        }
        TryReserve(infoHash, 2L * bytes.Length);
    }
}
