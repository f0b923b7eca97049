using System.Text.Json;
using P2PShare.Cli.Daemon;

namespace P2PShare.Cli.Rpc;

/// <summary>
/// torrent-get: the fields asked for, of the torrents selected, as objects (or with "format": "table", a header row of
/// names and one array per torrent, as Transmission 4 front-ends ask). "recently-active" also lists removed ids.
/// </summary>
internal sealed class TorrentGetMethod(TorrentService service, TimeProvider time)
{
    public Task InvokeAsync(RpcCall call, Utf8JsonWriter writer, CancellationToken cancellationToken)
    {
        if (call.Get("fields") is not { ValueKind: JsonValueKind.Array } requested)
            throw new RpcError("no fields specified");
        var fields = new List<(JsonEncodedText Name, TorrentFields.Writer Write)>();
        foreach (var item in requested.EnumerateArray())
            if (item.ValueKind == JsonValueKind.String && TorrentFields.All.TryGetValue(item.GetString()!, out var field) && !fields.Contains(field))
                fields.Add(field);
        var now = time.GetUtcNow();
        var torrents = TorrentSelector.Select(call, service, now);
        var table = call.String("format") == "table";
        writer.WriteStartArray("torrents"u8);
        if (table)
        {
            writer.WriteStartArray();
            foreach (var (name, _) in fields)
                writer.WriteStringValue(name);
            writer.WriteEndArray();
        }
        foreach (var torrent in torrents)
        {
            var view = new TorrentView(torrent, now);
            if (table)
            {
                writer.WriteStartArray();
                foreach (var (_, write) in fields)
                    write(writer, view);
                writer.WriteEndArray();
            }
            else
            {
                writer.WriteStartObject();
                foreach (var (name, write) in fields)
                {
                    writer.WritePropertyName(name);
                    write(writer, view);
                }
                writer.WriteEndObject();
            }
        }
        writer.WriteEndArray();
        if (TorrentSelector.IsRecentlyActive(call))
        {
            writer.WriteStartArray("removed"u8);
            foreach (var id in service.RecentlyRemoved)
                writer.WriteNumberValue(id);
            writer.WriteEndArray();
        }
        return Task.CompletedTask;
    }
}
