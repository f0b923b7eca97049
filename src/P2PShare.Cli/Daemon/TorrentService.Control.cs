using Microsoft.Extensions.Logging;
using P2PShare.Hosting;

namespace P2PShare.Cli.Daemon;

internal sealed partial class TorrentService
{
    /// <summary>torrent-start (through the queue) or torrent-start-now (<paramref name="now"/>: past the queue).</summary>
    public async Task StartAsync(IReadOnlyList<DaemonTorrent> torrents, bool now, CancellationToken cancellationToken)
    {
        await ChangeAsync(torrents, t =>
        {
            t.Entry = t.Entry with { Stopped = false };
            t.ForceStart = now;
            return Task.CompletedTask;
        }, cancellationToken).ConfigureAwait(false);
        await ApplyQueueAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// torrent-stop: the run ends (resume data saved, trackers told) and the torrent stays stopped across restarts; the
    /// slot it frees goes to the next in queue at once.
    /// </summary>
    public async Task StopAsync(IReadOnlyList<DaemonTorrent> torrents, CancellationToken cancellationToken)
    {
        await ChangeAsync(torrents, async t =>
        {
            t.Entry = t.Entry with { Stopped = true };
            t.ForceStart = false;
            t.Queued = false;
            t.StopAfterCheck = false;
            await host.PauseAsync(t.Managed).ConfigureAwait(false);
        }, cancellationToken).ConfigureAwait(false);
        await ApplyQueueAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>torrent-verify: hashes all data again; a stopped torrent stops again after the check.</summary>
    public Task VerifyAsync(IReadOnlyList<DaemonTorrent> torrents, CancellationToken cancellationToken) =>
        ChangeAsync(torrents, async t =>
        {
            t.StopAfterCheck = !t.IsRunning;
            t.Queued = false;
            await host.RecheckAsync(t.Managed).ConfigureAwait(false);
        }, cancellationToken);

    /// <summary>torrent-set: applies the changed entry (limits and peer limit now and for later runs; files through the engine's selection).</summary>
    public Task SetAsync(IReadOnlyList<DaemonTorrent> torrents, Func<CatalogEntry, CatalogEntry> change, bool filesChanged, CancellationToken cancellationToken) =>
        ChangeAsync(torrents, async t =>
        {
            var entry = change(t.Entry);
            if (filesChanged && t.Metainfo is { } metainfo)
                await files.ApplyAsync(t.Managed, metainfo.Files.Count, entry.Unwanted, entry.Priorities, cancellationToken).ConfigureAwait(false);
            t.Entry = entry;
            var options = RunOptions(entry, t.Magnet);
            host.SetOptions(t.Managed, options);
            t.Managed.Runner?.Session?.ApplyOptions(options.Engine);
        }, cancellationToken);

    /// <summary>Renumbers the queue positions in the order <paramref name="reorder"/> gives (from the current order).</summary>
    public async Task ReorderAsync(Func<IReadOnlyList<DaemonTorrent>, IReadOnlyList<DaemonTorrent>> reorder, CancellationToken cancellationToken)
    {
        await _changes.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var order = reorder([.. _torrents.OrderBy(t => t.Entry.QueuePosition).ThenBy(t => t.Id)]);
            for (var i = 0; i < order.Count; i++)
                order[i].Entry = order[i].Entry with { QueuePosition = i };
            await SaveLockedAsync(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _changes.Release();
        }
        await ApplyQueueAsync(cancellationToken).ConfigureAwait(false);
    }

    private async Task ChangeAsync(IReadOnlyList<DaemonTorrent> torrents, Func<DaemonTorrent, Task> change, CancellationToken cancellationToken)
    {
        await _changes.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            foreach (var torrent in torrents)
                await change(torrent).ConfigureAwait(false);
            await SaveLockedAsync(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _changes.Release();
        }
    }

    /// <summary>Starts what the queue allows and holds back what exceeds the limits.</summary>
    public async Task ApplyQueueAsync(CancellationToken cancellationToken)
    {
        await _changes.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var current = settings.Current;
            var torrents = _torrents;
            var items = torrents.Select(t => new QueueItem(t.Id, t.Entry.QueuePosition, !t.Entry.Stopped, t.IsComplete, t.IsRunning, t.ForceStart)).ToList();
            var decision = TorrentQueue.Decide(items, current.DownloadQueueEnabled ? current.DownloadQueueSize : null, current.SeedQueueEnabled ? current.SeedQueueSize : null);
            var start = decision.Start.ToHashSet();
            var hold = decision.Hold.ToHashSet();
            foreach (var torrent in torrents)
            {
                if (start.Contains(torrent.Id))
                {
                    torrent.Queued = false;
                    host.Resume(torrent.Managed);
                }
                else if (hold.Contains(torrent.Id))
                {
                    torrent.Queued = true;
                    await host.PauseAsync(torrent.Managed).ConfigureAwait(false);
                }
                else
                {
                    torrent.Queued = !torrent.Entry.Stopped && !torrent.IsRunning;
                }
            }
        }
        finally
        {
            _changes.Release();
        }
    }

    /// <summary>
    /// Once a second: records progress, marks runs that ended by themselves (an error, a seeding limit) as stopped,
    /// stops verified torrents that were stopped before, applies the queue, and saves torrents.json when needed.
    /// </summary>
    public async Task TickAsync(bool save, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var changed = false;
        foreach (var torrent in _torrents)
        {
            torrent.Observe(now);
            var state = torrent.Managed.Runner?.State;
            if (torrent.Managed.Run is { IsCompleted: true } && !torrent.Entry.Stopped && !torrent.Queued && state is TorrentState.Error or TorrentState.Stopped)
            {
                torrent.Entry = torrent.Entry with { Stopped = true };
                changed = true;
                _logger.LogInformation("Torrent {Name} ({Id}) ended: {State} {Error}", torrent.Name, torrent.Id, state, torrent.Managed.Error);
            }
            if (torrent.StopAfterCheck && state is TorrentState.Downloading or TorrentState.Seeding)
            {
                torrent.StopAfterCheck = false;
                await StopAsync([torrent], cancellationToken).ConfigureAwait(false);
            }
            if (torrent.Entry.DoneDate is null && torrent.Progress is { IsComplete: true })
            {
                torrent.Entry = torrent.Entry with { DoneDate = now };
                changed = true;
            }
        }
        await ApplyQueueAsync(cancellationToken).ConfigureAwait(false);
        if (changed || save)
            await SaveAsync(cancellationToken).ConfigureAwait(false);
    }
}
