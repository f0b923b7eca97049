using System.Text.Json.Serialization;

namespace P2PShare.Cli.Daemon;

/// <summary>
/// torrents.json's serializer, generated at compile time: the shipped build is Native AOT, where reflection-based
/// serialization cannot run. Same options as before (indented, nulls left out), so existing files read and write alike.
/// </summary>
[JsonSourceGenerationOptions(WriteIndented = true, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(List<CatalogEntry?>))]
[JsonSerializable(typeof(IReadOnlyList<CatalogEntry>))]
internal sealed partial class CatalogJsonContext : JsonSerializerContext;
