using System.Text.Json;
using System.Text.Json.Serialization;
using P2PShare.Storage;

namespace P2PShare.Cli.Daemon;

/// <summary>
/// The daemon's torrent list on disk: torrents.json (written atomically: temp, fsync, rename) and the .torrent files
/// under torrents/. A magnet's metadata, once fetched, lives with the resume data in resume/.
/// </summary>
internal sealed class TorrentCatalog
{
    private static readonly JsonSerializerOptions Json = new() { WriteIndented = true, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull };
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

    public IReadOnlyList<CatalogEntry> Load()
    {
        if (!File.Exists(ListPath))
            return [];
        try
        {
            return JsonSerializer.Deserialize<List<CatalogEntry>>(File.ReadAllBytes(ListPath), Json) ?? [];
        }
        catch (JsonException error)
        {
            throw new InvalidDataException($"{ListPath} is damaged: {error.Message}", error);
        }
    }

    public async Task SaveAsync(IReadOnlyList<CatalogEntry> entries, CancellationToken cancellationToken)
    {
        var bytes = JsonSerializer.SerializeToUtf8Bytes(entries, Json);
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
