using System.Globalization;
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
        JsonObject root;
        try
        {
            root = File.Exists(path) ? JsonNode.Parse(await File.ReadAllBytesAsync(path, cancellationToken).ConfigureAwait(false)) as JsonObject ?? [] : [];
        }
        catch (JsonException error)
        {
            throw new InvalidDataException($"{path} is not a JSON object: {error.Message}", error);
        }
        foreach (var key in remove)
            root.Remove(key);
        foreach (var (key, value) in values)
            root[key] = value?.DeepClone();
        var bytes = JsonSerializer.SerializeToUtf8Bytes(root, new JsonSerializerOptions { WriteIndented = true });
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        await AtomicFile.WriteAsync(path, bytes, cancellationToken).ConfigureAwait(false);
    }

    private static Dictionary<string, JsonNode?> Persisted(DaemonSettings settings) => new()
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

    internal static string Invariant(double value) => value.ToString(CultureInfo.InvariantCulture);
}
