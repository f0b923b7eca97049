using System.Text.Json;

namespace P2PShare.Cli.Rpc;

/// <summary>Writes a method's "arguments" members (the object is opened and closed by the caller).</summary>
internal delegate Task RpcMethod(RpcCall call, Utf8JsonWriter arguments, CancellationToken cancellationToken);

/// <summary>The methods the RPC answers, by name.</summary>
internal sealed class RpcMethods(TorrentGetMethod torrentGet, TorrentActions torrents, SessionMethods session)
{
    private readonly Dictionary<string, RpcMethod> _methods = new(StringComparer.Ordinal)
    {
        ["torrent-get"] = torrentGet.InvokeAsync,
        ["torrent-add"] = torrents.AddAsync,
        ["torrent-start"] = (c, w, ct) => torrents.StartAsync(c, now: false, ct),
        ["torrent-start-now"] = (c, w, ct) => torrents.StartAsync(c, now: true, ct),
        ["torrent-stop"] = (c, w, ct) => torrents.StopAsync(c, ct),
        ["torrent-verify"] = (c, w, ct) => torrents.VerifyAsync(c, ct),
        ["torrent-reannounce"] = (c, w, ct) => Task.CompletedTask,
        ["torrent-remove"] = (c, w, ct) => torrents.RemoveAsync(c, ct),
        ["torrent-set"] = (c, w, ct) => torrents.SetAsync(c, ct),
        ["queue-move-top"] = (c, w, ct) => torrents.MoveAsync(c, QueueMove.Top, ct),
        ["queue-move-up"] = (c, w, ct) => torrents.MoveAsync(c, QueueMove.Up, ct),
        ["queue-move-down"] = (c, w, ct) => torrents.MoveAsync(c, QueueMove.Down, ct),
        ["queue-move-bottom"] = (c, w, ct) => torrents.MoveAsync(c, QueueMove.Bottom, ct),
        ["session-get"] = session.GetAsync,
        ["session-set"] = session.SetAsync,
        ["session-stats"] = session.StatsAsync,
        ["session-close"] = session.CloseAsync,
        ["port-test"] = session.PortTestAsync,
        ["free-space"] = session.FreeSpaceAsync,
        ["blocklist-update"] = (c, w, ct) => { w.WriteNumber("blocklist-size", 0); return Task.CompletedTask; },
    };

    public RpcMethod? Find(string name) => _methods.GetValueOrDefault(name);
}
