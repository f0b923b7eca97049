using P2PShare.Cli.Daemon;
using P2PShare.Metainfo;

namespace P2PShare.Fuzz.Targets;

/// <summary>
/// The <c>daemon-torrents</c> target: the daemon's torrents.json as <see cref="TorrentService.RestoreAsync"/> reads it
/// (<see cref="TorrentCatalog.Parse"/>, <see cref="CatalogEntryRules.Restorable"/>), then for each entry it restores what
/// the daemon derives from it: the magnet link, the run options (engine options validated), the .torrent path, and
/// the queue's decision; finally the list as the daemon writes it back must read again to the same entries. Only
/// <see cref="InvalidDataException"/> (a file that is not a list of entries: the daemon refuses to start with one line)
/// may escape; a left-out entry is logged, not thrown.
/// </summary>
internal static class DaemonTorrentsFuzz
{
    private static readonly Lazy<TorrentCatalog> Catalog = new(() => new TorrentCatalog(ScratchDirectory.Create("catalog")));

    private static readonly DaemonSettings Settings = new() { DownloadDir = "/fuzz/downloads" };

    public static void Run(byte[] input)
    {
        var entries = TorrentCatalog.Parse(input, "torrents.json");
        var restorable = CatalogEntryRules.Restorable(entries, (_, _) => { });
        var catalog = Catalog.Value;
        var items = new List<QueueItem>();
        foreach (var entry in restorable)
        {
            var magnet = entry.Magnet is { } link ? MagnetLink.Parse(link) : null;
            var options = TorrentService.RunOptions(entry, magnet, Settings, catalog);
            options.Engine.Validate();
            var torrentPath = catalog.TorrentFilePath(entry.InfoHash);
            if (Path.GetDirectoryName(torrentPath) != catalog.TorrentsDirectory)
                throw new InvalidOperationException($"invariant: entry {entry.Id} names a .torrent outside the torrents directory: {torrentPath}");
            _ = entry.Unwanted.Count + entry.Priorities.Count;
            items.Add(new QueueItem(entry.Id, entry.QueuePosition, !entry.Stopped, entry.PercentDone >= 1.0, false));
        }
        TorrentQueue.Decide(items, 5, 10);
        var again = CatalogEntryRules.Restorable(TorrentCatalog.Parse(TorrentCatalog.Serialize(restorable), "torrents.json"), (index, reason) =>
            throw new InvalidOperationException($"invariant: entry {index} as written back is left out: {reason}"));
        if (again.Count != restorable.Count || again.Zip(restorable).Any(pair => !Same(pair.First, pair.Second)))
            throw new InvalidOperationException("invariant: the list written back reads as other entries");
    }

    private static bool Same(CatalogEntry a, CatalogEntry b) =>
        a with { Unwanted = [], Priorities = [] } == b with { Unwanted = [], Priorities = [] }
        && a.Unwanted.SequenceEqual(b.Unwanted) && a.Priorities.SequenceEqual(b.Priorities);
}
