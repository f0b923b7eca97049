using System.Net;
using Microsoft.Extensions.Logging;
using P2PShare.Metainfo;
using P2PShare.Networking.Dht;

namespace P2PShare.Engine;

/// <summary>
/// One public torrent's use of the engine's DHT: as soon as the node knows other nodes, look the info-hash up and
/// announce our port to the closest nodes; then again every minute while the torrent wants peers (sooner, 5 s
/// doubling, while lookups find nobody), else every 15 minutes (BEP 5 announces expire after about 30).
/// </summary>
internal sealed class DhtPeerFinder(DhtNode dht, InfoHash infoHash, int port, TimeProvider time, ILogger logger)
{
    private static readonly TimeSpan WaitForNodes = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan Eager = TimeSpan.FromMinutes(1);
    private static readonly TimeSpan Relaxed = TimeSpan.FromMinutes(15);
    private int _peersFound;
    private int _lookups;

    /// <summary>Peer addresses the DHT has given so far (with repeats).</summary>
    public int PeersFound => Volatile.Read(ref _peersFound);

    /// <summary>Lookups (get_peers and announce) finished so far.</summary>
    public int Lookups => Volatile.Read(ref _lookups);

    public async Task RunAsync(Action<IReadOnlyList<IPEndPoint>> onPeers, Func<bool> wantsPeers, CancellationToken cancellationToken)
    {
        var barren = 0;
        try
        {
            while (!cancellationToken.IsCancellationRequested)
            {
                if (dht.NodeCount == 0)
                {
                    await Task.Delay(WaitForNodes, time, cancellationToken).ConfigureAwait(false);
                    continue;
                }
                var result = await dht.AnnounceAsync(infoHash, port, cancellationToken).ConfigureAwait(false);
                Interlocked.Add(ref _peersFound, result.Peers.Count);
                Interlocked.Increment(ref _lookups);
                if (result.Peers.Count > 0)
                    logger.LogInformation("DHT lookup for {InfoHash}: {Peers} peers, announced to {Nodes} nodes", infoHash, result.Peers.Count, result.Acknowledged);
                else
                    logger.LogDebug("DHT lookup for {InfoHash}: no peers yet, announced to {Nodes} nodes", infoHash, result.Acknowledged);
                if (result.Peers.Count > 0)
                    onPeers(result.Peers);
                // Nothing found yet (a fresh table, or the swarm has not announced yet): look again soon, then less often.
                barren = result.Peers.Count == 0 ? barren + 1 : 0;
                var wait = !wantsPeers() ? Relaxed
                    : barren > 0 ? TimeSpan.FromSeconds(Math.Min(Eager.TotalSeconds, 5 * Math.Pow(2, barren - 1))) : Eager;
                await Task.Delay(wait, time, cancellationToken).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
        catch (Exception error)
        {
            // The DHT is one source among several: its failure must not stop the torrent.
            logger.LogWarning("DHT lookups for {InfoHash} stopped: {Reason}", infoHash, error.Message);
        }
    }
}
