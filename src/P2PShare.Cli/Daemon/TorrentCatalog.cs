using System.Text.Json;
using P2PShare.Storage;

namespace P2PShare.Cli.Daemon;

/// <summary>
/// The daemon's torrent list on disk: torrents.json (written atomically: temp, fsync, rename) and the .torrent files
/// under torrents/. A magnet's metadata, once fetched, lives with the resume data in resume/.
/// </summary>
internal sealed class TorrentCatalog
{
    private readonly SemaphoreSlim _gate = new(1, 1);

    public TorrentCatalog(string configDirectory)
    {
        ConfigDirectory = configDirectory;
        Directory.CreateDirectory(TorrentsDirectory);
        Directory.CreateDirectory(ResumeDirectory);
    }

    public string ConfigDirectory { get; }

    public string ListPath => Path.Combine(ConfigDirectory, "torrents.json");

    public string TorrentsDirectory => Path.Combine(ConfigDirectory, "torrents");

    /// <summary>Resume data and magnets' fetched metadata of all torrents.</summary>
    public string ResumeDirectory => Path.Combine(ConfigDirectory, "resume");

    public string TorrentFilePath(string infoHashHex) => Path.Combine(TorrentsDirectory, infoHashHex + ".torrent");

    /// <summary>Where a magnet's run saves the metadata it fetched (the run's state directory is <see cref="ResumeDirectory"/>).</summary>
    public string FetchedMetadataPath(string infoHashHex) => Path.Combine(ResumeDirectory, infoHashHex + ".torrent");

    /// <summary>A list larger than this is refused unread (a thousand torrents take ~500 KB).</summary>
    public const long MaxListBytes = 64L * 1024 * 1024;

    /// <summary>
    /// The entries as written, in order; an entry may be null (a hand-edited or damaged file): <see cref="CatalogEntryRules"/>
    /// says which can be restored. Throws <see cref="InvalidDataException"/> naming the file when it is not a list of entries.
    /// </summary>
    public IReadOnlyList<CatalogEntry?> Load()
    {
        var file = new FileInfo(ListPath);
        if (!file.Exists)
            return [];
        if (file.Length > MaxListBytes)
            throw new InvalidDataException($"{ListPath} is damaged: {file.Length} bytes is too large for a torrent list");
        return Parse(File.ReadAllBytes(ListPath), ListPath);
    }

    /// <summary>Reads torrents.json's bytes (see <see cref="Load"/>).</summary>
    public static IReadOnlyList<CatalogEntry?> Parse(ReadOnlySpan<byte> bytes, string path)
    {
        try
        {
            return JsonSerializer.Deserialize(bytes, CatalogJsonContext.Default.ListCatalogEntry) ?? [];
        }
        catch (JsonException error)
        {
            throw new InvalidDataException($"{path} is damaged: {error.Message}", error);
        }
    }

    /// <summary>torrents.json's bytes for <paramref name="entries"/>.</summary>
    public static byte[] Serialize(IReadOnlyList<CatalogEntry> entries) => JsonSerializer.SerializeToUtf8Bytes(entries, CatalogJsonContext.Default.IReadOnlyListCatalogEntry);

    public async Task SaveAsync(IReadOnlyList<CatalogEntry> entries, CancellationToken cancellationToken)
    {
        var bytes = Serialize(entries);
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await AtomicFile.WriteAsync(ListPath, bytes, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _gate.Release();
        }
    }

    public Task SaveTorrentFileAsync(string infoHashHex, ReadOnlyMemory<byte> bytes, CancellationToken cancellationToken) =>
        AtomicFile.WriteAsync(TorrentFilePath(infoHashHex), bytes, cancellationToken);

    public void DeleteTorrentFile(string infoHashHex)
    {
        File.Delete(TorrentFilePath(infoHashHex));
        File.Delete(FetchedMetadataPath(infoHashHex));
    }
}
