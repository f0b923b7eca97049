using System.Net;
using Microsoft.Extensions.Logging;

namespace P2PShare.Networking.Dht;

internal sealed partial class DhtNode
{
    private const int PingsPerTick = 8;
    private static readonly TimeSpan RebootstrapInterval = TimeSpan.FromMinutes(1);
    private DateTimeOffset _lastBootstrap = DateTimeOffset.MinValue;
    private DateTimeOffset _lastSave;

    /// <summary>
    /// Maintenance until cancelled, every <see cref="DhtOptions.MaintenanceInterval"/>: expires stored peers, pings
    /// questionable nodes (bad ones are replaced from the bucket caches), refreshes one stale bucket per tick,
    /// bootstraps again if the table is empty, and saves the state file (if configured) periodically and on stop.
    /// </summary>
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        _lastSave = _time.GetUtcNow();
        try
        {
            while (!cancellationToken.IsCancellationRequested)
            {
                await Task.Delay(_options.MaintenanceInterval, _time, cancellationToken).ConfigureAwait(false);
                await MaintainAsync(cancellationToken).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
        finally
        {
            await SaveStateAsync(CancellationToken.None).ConfigureAwait(false);
        }
    }

    /// <summary>One maintenance pass (what <see cref="RunAsync"/> does each tick).</summary>
    internal async Task MaintainAsync(CancellationToken cancellationToken)
    {
        List<IPEndPoint> ping;
        List<Protocol.Dht.NodeId> refresh;
        List<EndPoint>? rebootstrap = null;
        var now = _time.GetUtcNow();
        lock (_gate)
        {
            _peers.Expire();
            _limiter.Prune();
            ping = _table.TakeNodesToPing(PingsPerTick, _options.QueryTimeout * 4).Select(c => c.EndPoint).ToList();
            refresh = _table.StaleBucketTargets(_options.BucketRefreshInterval, _random);
            if (_table.Count == 0 && _bootstrapNodes.Count > 0 && now - _lastBootstrap >= RebootstrapInterval)
            {
                rebootstrap = [.. _bootstrapNodes];
                _lastBootstrap = now;
            }
        }
        var pings = ping.Select(endPoint => PingKnownAsync(endPoint, cancellationToken)).ToList();
        if (rebootstrap is not null)
            await BootstrapAsync(rebootstrap, cancellationToken).ConfigureAwait(false);
        else if (refresh.Count > 0)
            await LookupAsync(refresh[0], Protocol.Dht.KrpcMethod.FindNode, null, cancellationToken).ConfigureAwait(false);
        await Task.WhenAll(pings).ConfigureAwait(false);
        if (now - _lastSave >= _options.StateSaveInterval)
        {
            _lastSave = now;
            await SaveStateAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Writes the state file now (no-op without <see cref="DhtOptions.StateFilePath"/>); failures are logged.</summary>
    public async Task SaveStateAsync(CancellationToken cancellationToken)
    {
        if (_options.StateFilePath is not { } path)
            return;
        var state = SavedState();
        try
        {
            await DhtStateFile.SaveAsync(path, state, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception error) when (error is IOException or UnauthorizedAccessException)
        {
            _logger.LogWarning("DHT: could not save {Path}: {Error}", path, error.Message);
        }
    }

    /// <summary>What <see cref="SaveStateAsync"/> writes: our id, the best nodes that are not bad, our external address.</summary>
    internal DhtState SavedState()
    {
        lock (_gate)
        {
            var now = _time.GetUtcNow();
            var nodes = _table.Entries
                .OrderBy(e => e.State(now, _table.ActiveWindow, _table.MaxFailures))
                .ThenByDescending(e => e.LastResponse ?? DateTimeOffset.MinValue)
                .Where(e => e.State(now, _table.ActiveWindow, _table.MaxFailures) != NodeState.Bad)
                .Take(_options.MaxSavedNodes)
                .Select(e => e.Contact)
                .ToList();
            return new DhtState(Id, nodes, ExternalAddress);
        }
    }

    private async Task PingKnownAsync(IPEndPoint endPoint, CancellationToken cancellationToken)
    {
        Protocol.Dht.NodeId? id;
        lock (_gate)
            id = _table.Entries.FirstOrDefault(e => e.Contact.EndPoint.Equals(endPoint))?.Id;
        await QueryAsync(endPoint, id, PingQuery(), cancellationToken).ConfigureAwait(false);
    }
}
