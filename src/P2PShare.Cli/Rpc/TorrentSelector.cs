using System.Text.Json;
using P2PShare.Cli.Daemon;

namespace P2PShare.Cli.Rpc;

/// <summary>
/// The "ids" argument: absent (all torrents), a number, an info-hash, an array of numbers and hashes, or
/// "recently-active". Unknown ids are skipped, as Transmission does.
/// </summary>
internal static class TorrentSelector
{
    public static readonly TimeSpan RecentWindow = TimeSpan.FromSeconds(60);

    public static bool IsRecentlyActive(RpcCall call) => call.Get("ids") is { ValueKind: JsonValueKind.String } ids && ids.GetString() == "recently-active";

    public static IReadOnlyList<DaemonTorrent> Select(RpcCall call, TorrentService service, DateTimeOffset now)
    {
        var all = service.Torrents;
        if (call.Get("ids") is not { } ids)
            return all;
        switch (ids.ValueKind)
        {
            case JsonValueKind.Number:
                return One(ids, service);
            case JsonValueKind.String when ids.GetString() == "recently-active":
                return [.. all.Where(t => t.IsRunning || now - t.LastActivity < RecentWindow || now - t.Entry.AddedDate < RecentWindow)];
            case JsonValueKind.String:
                return One(ids, service);
            case JsonValueKind.Array:
                var selected = new List<DaemonTorrent>();
                foreach (var item in ids.EnumerateArray())
                    foreach (var torrent in One(item, service))
                        if (!selected.Contains(torrent))
                            selected.Add(torrent);
                return selected;
            default:
                throw new RpcError("ids must be a number, a hash string, an array of them, or \"recently-active\"");
        }
    }

    private static IReadOnlyList<DaemonTorrent> One(JsonElement id, TorrentService service)
    {
        var torrent = id.ValueKind switch
        {
            JsonValueKind.Number when id.TryGetInt32(out var number) => service.Find(number),
            JsonValueKind.String when int.TryParse(id.GetString(), out var number) => service.Find(number),
            JsonValueKind.String => service.Find(id.GetString()!),
            _ => throw new RpcError("ids must be numbers or hash strings"),
        };
        return torrent is null ? [] : [torrent];
    }
}
