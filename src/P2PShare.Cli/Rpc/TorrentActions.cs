using System.Text.Json;
using P2PShare.Cli.Daemon;
using P2PShare.Metainfo;

namespace P2PShare.Cli.Rpc;

internal enum QueueMove
{
    Top,
    Up,
    Down,
    Bottom,
}

/// <summary>torrent-add, -start, -stop, -verify, -remove, -set and the queue moves.</summary>
internal sealed class TorrentActions(TorrentService service, TimeProvider time)
{
    public async Task AddAsync(RpcCall call, Utf8JsonWriter writer, CancellationToken cancellationToken)
    {
        var request = new AddRequest { Paused = call.Bool("paused"), DownloadDir = call.String("download-dir") };
        if (call.String("metainfo") is { } base64)
        {
            byte[] bytes;
            try
            {
                bytes = Convert.FromBase64String(base64);
            }
            catch (FormatException)
            {
                throw new RpcError("invalid or corrupt torrent file (metainfo is not base64)");
            }
            request = request with { Metainfo = bytes };
        }
        else if (call.String("filename") is { } filename)
        {
            if (MagnetLink.LooksLikeMagnet(filename))
                request = request with { Magnet = filename };
            else if (Uri.TryCreate(filename, UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https" or "ftp")
                throw new RpcError("adding a torrent by URL is not supported: send the file (metainfo) or a magnet link");
            else
                request = request with { Metainfo = await ReadTorrentFileAsync(filename, cancellationToken).ConfigureAwait(false) };
        }
        else
        {
            throw new RpcError("no filename or metainfo specified");
        }
        AddResult result;
        try
        {
            result = await service.AddAsync(request, cancellationToken).ConfigureAwait(false);
        }
        catch (MetainfoException error)
        {
            throw new RpcError($"invalid or corrupt torrent file ({error.Message})");
        }
        writer.WriteStartObject(result.Duplicate ? "torrent-duplicate"u8 : "torrent-added"u8);
        writer.WriteNumber("id"u8, result.Torrent.Id);
        writer.WriteString("name"u8, result.Torrent.Name);
        writer.WriteString("hashString"u8, result.Torrent.HashString);
        writer.WriteEndObject();
    }

    public Task StartAsync(RpcCall call, bool now, CancellationToken cancellationToken) =>
        service.StartAsync(Select(call), now, cancellationToken);

    public Task StopAsync(RpcCall call, CancellationToken cancellationToken) => service.StopAsync(Select(call), cancellationToken);

    public Task VerifyAsync(RpcCall call, CancellationToken cancellationToken) => service.VerifyAsync(Select(call), cancellationToken);

    public Task RemoveAsync(RpcCall call, CancellationToken cancellationToken) =>
        service.RemoveAsync(Select(call), call.Bool("delete-local-data") ?? false, cancellationToken);

    public async Task SetAsync(RpcCall call, CancellationToken cancellationToken)
    {
        var torrents = Select(call);
        var wanted = call.Ints("files-wanted");
        var unwanted = call.Ints("files-unwanted");
        var high = call.Ints("priority-high");
        var normal = call.Ints("priority-normal");
        var low = call.Ints("priority-low");
        var filesChanged = wanted is not null || unwanted is not null || high is not null || normal is not null || low is not null;
        if (filesChanged && !service.Files.IsSupported)
            throw new RpcError("files-wanted, files-unwanted and priorities are not supported by this engine yet");
        var downloadLimit = call.Long("downloadLimit");
        var uploadLimit = call.Long("uploadLimit");
        var downloadLimited = call.Bool("downloadLimited");
        var uploadLimited = call.Bool("uploadLimited");
        var peerLimit = call.Long("peer-limit");
        // Refused before anything changes: a limit beyond this would overflow bytes/s in the engine at the torrent's next start.
        if (downloadLimit is < 0 or > CatalogEntryRules.MaxLimit)
            throw new RpcError($"downloadLimit must be from 0 to {CatalogEntryRules.MaxLimit}");
        if (uploadLimit is < 0 or > CatalogEntryRules.MaxLimit)
            throw new RpcError($"uploadLimit must be from 0 to {CatalogEntryRules.MaxLimit}");
        if (peerLimit is < 1 or > 10_000)
            throw new RpcError("peer-limit must be from 1 to 10000");
        if (filesChanged)
        {
            foreach (var torrent in torrents)
            {
                var count = torrent.Metainfo?.Files.Count ?? throw new RpcError($"torrent {torrent.Id} has no metadata yet: its files are not known");
                foreach (var index in (IEnumerable<int>[])[wanted ?? [], unwanted ?? [], high ?? [], normal ?? [], low ?? []])
                    foreach (var i in index)
                        if (i < 0 || i >= count)
                            throw new RpcError($"file index {i} out of range (torrent {torrent.Id} has {count} files)");
            }
        }
        await service.SetAsync(torrents, entry =>
        {
            var next = entry with
            {
                DownloadLimit = downloadLimit ?? entry.DownloadLimit,
                UploadLimit = uploadLimit ?? entry.UploadLimit,
                DownloadLimited = downloadLimited ?? entry.DownloadLimited,
                UploadLimited = uploadLimited ?? entry.UploadLimited,
                PeerLimit = peerLimit is { } p ? (int)p : entry.PeerLimit,
            };
            if (!filesChanged)
                return next;
            var unwantedSet = new SortedSet<int>(entry.Unwanted);
            unwantedSet.UnionWith(unwanted ?? []);
            unwantedSet.ExceptWith(wanted ?? []);
            var count = (high ?? []).Concat(normal ?? []).Concat(low ?? []).DefaultIfEmpty(-1).Max() + 1;
            var priorities = entry.Priorities.ToList();
            while (priorities.Count < count)
                priorities.Add(0);
            foreach (var i in high ?? [])
                priorities[i] = 1;
            foreach (var i in normal ?? [])
                priorities[i] = 0;
            foreach (var i in low ?? [])
                priorities[i] = -1;
            return next with { Unwanted = [.. unwantedSet], Priorities = priorities };
        }, filesChanged, cancellationToken).ConfigureAwait(false);
        if (call.Long("queuePosition") is { } position)
            await service.ReorderAsync(order => Move(order, torrents, (int)position), cancellationToken).ConfigureAwait(false);
    }

    public Task MoveAsync(RpcCall call, QueueMove move, CancellationToken cancellationToken)
    {
        var torrents = Select(call);
        return service.ReorderAsync(order =>
        {
            var list = order.ToList();
            foreach (var torrent in move is QueueMove.Down or QueueMove.Top ? torrents.Reverse() : torrents)
            {
                var at = list.IndexOf(torrent);
                var to = move switch
                {
                    QueueMove.Top => 0,
                    QueueMove.Up => Math.Max(0, at - 1),
                    QueueMove.Down => Math.Min(list.Count - 1, at + 1),
                    _ => list.Count - 1,
                };
                list.RemoveAt(at);
                list.Insert(to, torrent);
            }
            return list;
        }, cancellationToken);
    }

    private static List<DaemonTorrent> Move(IReadOnlyList<DaemonTorrent> order, IReadOnlyList<DaemonTorrent> torrents, int position)
    {
        var list = order.Where(t => !torrents.Contains(t)).ToList();
        list.InsertRange(Math.Clamp(position, 0, list.Count), torrents);
        return list;
    }

    private IReadOnlyList<DaemonTorrent> Select(RpcCall call) => TorrentSelector.Select(call, service, time.GetUtcNow());

    private static async Task<byte[]> ReadTorrentFileAsync(string path, CancellationToken cancellationToken)
    {
        if (!Path.IsPathFullyQualified(path))
            throw new RpcError($"'{path}' is neither a magnet link nor an absolute path to a .torrent file");
        var info = new FileInfo(path);
        if (!info.Exists)
            throw new RpcError($"torrent file not found: {path}");
        if (info.Length > RpcEndpoint.MaxBodyBytes)
            throw new RpcError($"{path} is larger than {RpcEndpoint.MaxBodyBytes} bytes: not a torrent file");
        return await BoundedFile.ReadAsync(path, RpcEndpoint.MaxBodyBytes, cancellationToken).ConfigureAwait(false)
            ?? throw new RpcError($"more than {RpcEndpoint.MaxBodyBytes} bytes can be read from {path}: not a torrent file");
    }
}
