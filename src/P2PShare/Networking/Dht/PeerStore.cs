using System.Net;
using P2PShare.Protocol.Dht;

namespace P2PShare.Networking.Dht;

/// <summary>
/// Peers announced to us (announce_peer), per info-hash, each forgotten after its lifetime. Bounded twice: a new
/// info-hash beyond the limit evicts the one announced least recently, and a new peer beyond the per-hash limit
/// evicts that hash's oldest peer. Not thread-safe.
/// </summary>
internal sealed class PeerStore(int maxInfoHashes, int maxPeersPerInfoHash, TimeSpan lifetime, TimeProvider time)
{
    private readonly Dictionary<NodeId, Swarm> _swarms = [];

    public int InfoHashCount => _swarms.Count;

    public int PeerCount => _swarms.Values.Sum(s => s.Peers.Count);

    public void Add(NodeId infoHash, IPEndPoint peer)
    {
        var now = time.GetUtcNow();
        if (!_swarms.TryGetValue(infoHash, out var swarm))
        {
            if (_swarms.Count >= maxInfoHashes)
                _swarms.Remove(_swarms.MinBy(pair => pair.Value.LastAnnounce).Key);
            swarm = new Swarm();
            _swarms[infoHash] = swarm;
        }
        swarm.LastAnnounce = now;
        if (!swarm.Peers.ContainsKey(peer) && swarm.Peers.Count >= maxPeersPerInfoHash)
            swarm.Peers.Remove(swarm.Peers.MinBy(pair => pair.Value).Key);
        swarm.Peers[peer] = now + lifetime;
    }

    /// <summary>Up to <paramref name="max"/> live peers of <paramref name="infoHash"/>, a random choice when there are more.</summary>
    public List<IPEndPoint> Get(NodeId infoHash, int max, Random random)
    {
        if (!_swarms.TryGetValue(infoHash, out var swarm))
            return [];
        var now = time.GetUtcNow();
        var live = swarm.Peers.Where(p => p.Value > now).Select(p => p.Key).ToArray();
        if (live.Length > max)
        {
            random.Shuffle(live);
            return live[..max].ToList();
        }
        return [.. live];
    }

    /// <summary>Drops expired peers and swarms left empty.</summary>
    public void Expire()
    {
        var now = time.GetUtcNow();
        foreach (var (hash, swarm) in _swarms.ToList())
        {
            foreach (var (peer, expires) in swarm.Peers.ToList())
                if (expires <= now)
                    swarm.Peers.Remove(peer);
            if (swarm.Peers.Count == 0)
                _swarms.Remove(hash);
        }
    }

    private sealed class Swarm
    {
        public Dictionary<IPEndPoint, DateTimeOffset> Peers { get; } = [];

        public DateTimeOffset LastAnnounce { get; set; }
    }
}
