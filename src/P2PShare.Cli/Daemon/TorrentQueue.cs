namespace P2PShare.Cli.Daemon;

/// <summary>A torrent as the queue sees it.</summary>
internal readonly record struct QueueItem(int Id, int QueuePosition, bool WantsToRun, bool IsComplete, bool IsRunning, bool ForceStart = false);

/// <summary>The queue's decision: torrents to start now, and running ones to hold back.</summary>
internal sealed record QueueDecision(IReadOnlyList<int> Start, IReadOnlyList<int> Hold);

/// <summary>
/// At most N active downloads and M active seeds (each limit optional); the rest wait in queue order. Running torrents
/// keep their slots (a new torrent never pre-empts one), unless a limit was lowered; a forced start ignores the limits
/// but still takes a slot.
/// </summary>
internal static class TorrentQueue
{
    public static QueueDecision Decide(IReadOnlyList<QueueItem> torrents, int? maxDownloads, int? maxSeeds)
    {
        var start = new List<int>();
        var hold = new List<int>();
        Pick(torrents.Where(t => t.WantsToRun && !t.IsComplete), maxDownloads, start, hold);
        Pick(torrents.Where(t => t.WantsToRun && t.IsComplete), maxSeeds, start, hold);
        return new QueueDecision(start, hold);
    }

    private static void Pick(IEnumerable<QueueItem> candidates, int? limit, List<int> start, List<int> hold)
    {
        var ordered = candidates.OrderByDescending(t => t.ForceStart).ThenByDescending(t => t.IsRunning).ThenBy(t => t.QueuePosition).ThenBy(t => t.Id);
        var slots = 0;
        foreach (var torrent in ordered)
        {
            var allowed = torrent.ForceStart || limit is null || slots < limit;
            slots++;
            if (allowed && !torrent.IsRunning)
                start.Add(torrent.Id);
            else if (!allowed && torrent.IsRunning)
                hold.Add(torrent.Id);
        }
    }
}
