using System.Text.Json;
using System.Text.Json.Nodes;
using P2PShare.Storage;

namespace P2PShare.Cli.Daemon;

/// <summary>
/// The daemon's current settings. session-set replaces them and writes the changed keys back into settings.json
/// (atomically), keeping whatever else the file holds, so they survive a restart.
/// </summary>
internal sealed class SettingsStore(string settingsPath, DaemonSettings initial)
{
    private readonly SemaphoreSlim _gate = new(1, 1);
    private volatile DaemonSettings _current = initial;

    public DaemonSettings Current => _current;

    public string SettingsPath => settingsPath;

    public event Action<DaemonSettings>? Changed;

    public async Task UpdateAsync(Func<DaemonSettings, DaemonSettings> change, CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var next = change(_current);
            if (next == _current)
                return;
            await WriteAsync(settingsPath, Persisted(next), remove: [], cancellationToken).ConfigureAwait(false);
            _current = next;
        }
        finally
        {
            _gate.Release();
        }
        Changed?.Invoke(_current);
    }

    /// <summary>Sets keys in a settings.json (created if missing), removing <paramref name="remove"/>; other keys are kept.</summary>
    public static async Task WriteAsync(string path, IReadOnlyDictionary<string, JsonNode?> values, IReadOnlyList<string> remove, CancellationToken cancellationToken)
    {
        var existing = File.Exists(path) ? await File.ReadAllBytesAsync(path, cancellationToken).ConfigureAwait(false) : null;
        var bytes = Merge(existing, values, remove, path);
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        await AtomicFile.WriteAsync(path, bytes, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// The new file's bytes: <paramref name="existing"/> (null: no file yet) with <paramref name="values"/> set and
    /// <paramref name="remove"/> removed. Keys match without regard to case, as the configuration reads them; the file is
    /// read as leniently as the configuration reads it (comments, trailing commas), so a file the daemon started with can
    /// always be written back (its comments are not kept). Throws <see cref="InvalidDataException"/> naming the file otherwise.
    /// </summary>
    public static byte[] Merge(byte[]? existing, IReadOnlyDictionary<string, JsonNode?> values, IReadOnlyList<string> remove, string path)
    {
        var root = existing is null ? new JsonObject(CaseInsensitive) : ReadObject(existing, path);
        foreach (var key in remove)
            root.Remove(key);
        foreach (var (key, value) in values)
            root[key] = value?.DeepClone();
        // JsonNode writes itself: no reflection-based serializer (the shipped build is Native AOT).
        var buffer = new System.Buffers.ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true }))
            root.WriteTo(writer);
        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>Whether a settings file (its bytes) holds <paramref name="key"/> at the top level, in any case.</summary>
    public static bool HasKey(byte[] existing, string key, string path) => ReadObject(existing, path).ContainsKey(key);

    private static readonly JsonNodeOptions CaseInsensitive = new() { PropertyNameCaseInsensitive = true };

    private static readonly JsonDocumentOptions AsConfigurationReadsIt = new() { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true };

    private static JsonObject ReadObject(byte[] bytes, string path)
    {
        try
        {
            // As text, as the configuration reads the file: bytes that are not UTF-8 become U+FFFD instead of throwing later
            // (JsonObject reads its names lazily). An empty file or a value that is not an object: the configuration
            // refuses those, so there is nothing to keep.
            var root = JsonNode.Parse(System.Text.Encoding.UTF8.GetString(bytes), CaseInsensitive, AsConfigurationReadsIt) as JsonObject ?? new JsonObject(CaseInsensitive);
            _ = root.Count; // reads the names now: a duplicate is an error here, not in the caller
            return root;
        }
        catch (Exception error) when (error is JsonException or ArgumentException or InvalidOperationException)
        {
            throw new InvalidDataException($"{path} is not a JSON object: {error.Message}", error);
        }
    }

    /// <summary>The keys session-set writes into settings.json, with their values in <paramref name="settings"/>.</summary>
    internal static Dictionary<string, JsonNode?> Persisted(DaemonSettings settings) => new()
    {
        [nameof(DaemonSettings.DownloadDir)] = settings.DownloadDir,
        [nameof(DaemonSettings.Port)] = settings.Port,
        [nameof(DaemonSettings.SpeedLimitDown)] = settings.SpeedLimitDown,
        [nameof(DaemonSettings.SpeedLimitDownEnabled)] = settings.SpeedLimitDownEnabled,
        [nameof(DaemonSettings.SpeedLimitUp)] = settings.SpeedLimitUp,
        [nameof(DaemonSettings.SpeedLimitUpEnabled)] = settings.SpeedLimitUpEnabled,
        [nameof(DaemonSettings.PeerLimitGlobal)] = settings.PeerLimitGlobal,
        [nameof(DaemonSettings.PeerLimitPerTorrent)] = settings.PeerLimitPerTorrent,
        [nameof(DaemonSettings.DownloadQueueSize)] = settings.DownloadQueueSize,
        [nameof(DaemonSettings.DownloadQueueEnabled)] = settings.DownloadQueueEnabled,
        [nameof(DaemonSettings.SeedQueueSize)] = settings.SeedQueueSize,
        [nameof(DaemonSettings.SeedQueueEnabled)] = settings.SeedQueueEnabled,
        [nameof(DaemonSettings.StartAddedTorrents)] = settings.StartAddedTorrents,
        [nameof(DaemonSettings.DhtEnabled)] = settings.DhtEnabled,
        [nameof(DaemonSettings.Encryption)] = settings.Encryption,
        [nameof(DaemonSettings.WatchDir)] = settings.WatchDir,
        [nameof(DaemonSettings.WatchDirEnabled)] = settings.WatchDirEnabled,
        [nameof(DaemonSettings.RatioLimit)] = settings.RatioLimit is { } ratio ? JsonValue.Create(ratio) : null,
    };
}
