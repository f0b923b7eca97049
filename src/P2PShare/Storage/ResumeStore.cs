using P2PShare.Metainfo;

namespace P2PShare.Storage;

/// <summary>
/// Resume files, one per torrent (&lt;info-hash hex&gt;.resume) in a state directory. Saves are atomic: the new
/// version is written to a temporary file beside the old one, fsynced, renamed over it, and the directory fsynced, so
/// a crash at any instant leaves either the previous or the new version, never a mix.
/// </summary>
internal sealed partial class ResumeStore
{
    public const string StateDirectoryName = ".p2pshare";
    private const string Extension = ".resume";
    private const string TempSuffix = ".tmp";
    private readonly SemaphoreSlim _saveGate = new(1, 1);

    public ResumeStore(string stateDirectory)
    {
        ArgumentException.ThrowIfNullOrEmpty(stateDirectory);
        StateDirectory = Path.GetFullPath(stateDirectory);
    }

    public string StateDirectory { get; }

    /// <summary>The default state directory: DIR/.p2pshare, next to the download.</summary>
    /// A symbolic link planted at DIR/.p2pshare is refused (resume data and a magnet's metadata stay inside DIR).
    public static ResumeStore ForDownloadDirectory(string downloadDirectory)
    {
        var store = new ResumeStore(Path.Combine(downloadDirectory, StateDirectoryName)) { ContainingDirectory = Path.GetFullPath(downloadDirectory) };
        store.EnsureNotLinked();
        return store;
    }

    /// <summary>The download directory this state directory must stay inside (the default DIR/.p2pshare); null for one the user named.</summary>
    public string? ContainingDirectory { get; private init; }

    /// <summary>Throws <see cref="IOException"/> when the default state directory is a symbolic link.</summary>
    public void EnsureNotLinked()
    {
        if (ContainingDirectory is { } root)
            LinkGuard.EnsureNoLinks(root, StateDirectory);
    }

    public string PathFor(InfoHash infoHash) => Path.Combine(StateDirectory, infoHash.Hex + Extension);

    public async Task SaveAsync(ResumeData data, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(data);
        var bytes = ResumeCodec.Encode(data);
        var path = PathFor(data.InfoHash);
        await _saveGate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            EnsureNotLinked();
            CreateStateDirectory();
            RemoveStaleTemps(data.InfoHash);
            await WriteWithinReserveAsync(data.InfoHash, path, bytes, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception error) when (StorageErrors.IsIoFailure(error))
        {
            throw StorageErrors.Describe(error, "writing", path);
        }
        finally
        {
            _saveGate.Release();
        }
    }

    public async Task<ResumeLoadResult> LoadAsync(InfoHash infoHash, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(infoHash);
        var path = PathFor(infoHash);
        byte[] bytes;
        try
        {
            var info = new FileInfo(path);
            if (!info.Exists)
                return ResumeLoadResult.Missing;
            if (info.Length > ResumeCodec.MaxFileSize)
                return ResumeLoadResult.Damaged($"{info.Length} bytes is too large for a resume file");
            bytes = await File.ReadAllBytesAsync(path, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception error) when (error is FileNotFoundException or DirectoryNotFoundException)
        {
            return ResumeLoadResult.Missing;
        }
        catch (Exception error) when (StorageErrors.IsIoFailure(error))
        {
            return ResumeLoadResult.Damaged($"cannot read {path}: {error.Message}");
        }
        return ResumeCodec.Decode(bytes, infoHash);
    }

    public void Delete(InfoHash infoHash)
    {
        ArgumentNullException.ThrowIfNull(infoHash);
        var path = PathFor(infoHash);
        if (File.Exists(path))
            File.Delete(path);
        DeleteReserve(infoHash);
    }

    private void CreateStateDirectory()
    {
        if (Directory.Exists(StateDirectory))
            return;
        Directory.CreateDirectory(StateDirectory);
        if (Path.GetDirectoryName(StateDirectory) is { } parent)
            DirectorySync.Flush(parent);
    }

    /// <summary>Temp files of saves cut short by a crash; they are never read, only cleaned up.</summary>
    private void RemoveStaleTemps(InfoHash infoHash)
    {
        foreach (var stale in Directory.EnumerateFiles(StateDirectory, $"{infoHash.Hex}{Extension}.*{TempSuffix}"))
            TryDelete(stale);
    }

    private static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (Exception error) when (StorageErrors.IsIoFailure(error))
        {
            // Best effort: a leftover temp file is harmless and removed by the next save.
        }
    }
}
