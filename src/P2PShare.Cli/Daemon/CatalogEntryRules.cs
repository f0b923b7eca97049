using P2PShare.Metainfo;

namespace P2PShare.Cli.Daemon;

/// <summary>
/// Which entries of torrents.json the daemon restores. The file is ours, but a crash, a full disk, another program or a
/// hand edit may have damaged it: an entry that names no torrent safely (no entry, an id out of range or taken, an
/// info-hash that is not 40 hex characters, a magnet link that does not parse or names another torrent, a download
/// directory that is not an absolute path) is left out, with the reason; numbers out of range get their defaults back.
/// The info-hash names files in the config directory, so it is checked before it is used in a path.
/// </summary>
internal static class CatalogEntryRules
{
    /// <summary>Ids above this are refused (the next id is the highest plus one; Transmission's ids are small numbers).</summary>
    public const int MaxId = 1 << 30;

    /// <summary>The per-torrent limits are KiB/s; the engine takes bytes/s in a long (torrent-set refuses more, restore resets it).</summary>
    public const long MaxLimit = long.MaxValue / 1024;

    /// <summary>The restorable entries, in file order; <paramref name="skipped"/> gets a one-line reason for each one left out.</summary>
    public static List<CatalogEntry> Restorable(IReadOnlyList<CatalogEntry?> entries, Action<int, string> skipped)
    {
        var restorable = new List<CatalogEntry>();
        var ids = new HashSet<int>();
        var hashes = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < entries.Count; i++)
        {
            if (Problem(entries[i]) is { } problem)
            {
                skipped(i, problem);
                continue;
            }
            var entry = Normalized(entries[i]!);
            if (!ids.Add(entry.Id))
                skipped(i, $"id {entry.Id} is taken by an earlier entry");
            else if (!hashes.Add(entry.InfoHash))
                skipped(i, $"torrent {entry.InfoHash} is listed twice");
            else
                restorable.Add(entry);
        }
        return restorable;
    }

    /// <summary>Why the entry cannot be restored, one line; null when it can.</summary>
    public static string? Problem(CatalogEntry? entry)
    {
        if (entry is null)
            return "the entry is null";
        if (entry.Id is < 1 or > MaxId)
            return $"id {entry.Id} is not from 1 to {MaxId}";
        if (entry.InfoHash is not { Length: 40 } hex || !InfoHash.TryParse(hex, out var infoHash))
            return $"infoHash '{DisplayText.OneLine(entry.InfoHash ?? "null")}' is not 40 hex characters";
        if (entry.DownloadDir is not { Length: > 0 } directory || directory.Contains('\0', StringComparison.Ordinal) || !Path.IsPathFullyQualified(directory))
            return $"downloadDir '{DisplayText.OneLine(entry.DownloadDir ?? "null")}' is not an absolute path";
        if (entry.Magnet is { } link)
        {
            try
            {
                if (!MagnetLink.Parse(link).InfoHash.Equals(infoHash))
                    return "its magnet link names another torrent";
            }
            catch (MetainfoException error)
            {
                return $"its magnet link does not parse: {error.Message}";
            }
        }
        return null;
    }

    /// <summary>A restorable entry with its fields in range: the info-hash in lower case, lists present, limits and progress in range.</summary>
    public static CatalogEntry Normalized(CatalogEntry entry) => entry with
    {
        InfoHash = entry.InfoHash.ToLowerInvariant(),
        DownloadDir = Path.GetFullPath(entry.DownloadDir),
        Unwanted = entry.Unwanted ?? [],
        Priorities = entry.Priorities ?? [],
        DownloadLimit = entry.DownloadLimit is >= 0 and <= MaxLimit ? entry.DownloadLimit : 100,
        DownloadLimited = entry.DownloadLimited && entry.DownloadLimit is >= 0 and <= MaxLimit,
        UploadLimit = entry.UploadLimit is >= 0 and <= MaxLimit ? entry.UploadLimit : 100,
        UploadLimited = entry.UploadLimited && entry.UploadLimit is >= 0 and <= MaxLimit,
        PeerLimit = Math.Max(0, entry.PeerLimit),
        PercentDone = double.IsFinite(entry.PercentDone) ? Math.Clamp(entry.PercentDone, 0, 1) : 0,
        UploadedEver = Math.Max(0, entry.UploadedEver),
        DownloadedEver = Math.Max(0, entry.DownloadedEver),
    };
}
