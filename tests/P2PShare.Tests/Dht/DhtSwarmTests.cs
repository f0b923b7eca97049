using System.Net;
using P2PShare.Metainfo;
using P2PShare.Networking.Dht;
using P2PShare.Protocol.Dht;

namespace P2PShare.Tests.Dht;

/// <summary>200 of our nodes, each on its own UDP socket and loopback address (127.0.1.x), forming a DHT.</summary>
[TestFixture]
public sealed class DhtSwarmTests
{
    private const int NodeCount = 200;

    [Test, CancelAfter(120_000)]
    public async Task EveryLookupInATwoHundredNodeDhtFindsTheAnnouncedPeers(CancellationToken ct)
    {
        var nodes = new List<LoopbackDhtNode>();
        try
        {
            for (var i = 0; i < NodeCount; i++)
                nodes.Add(LoopbackDhtNode.Start(AddressOf(i), seed: i + 1));
            var first = new IPEndPoint(AddressOf(0), nodes[0].Port.Port);
            foreach (var batch in nodes.Skip(1).Chunk(20))
                await Task.WhenAll(batch.Select(n => n.Node.BootstrapAsync([first], ct)));
            TestContext.Out.WriteLine($"routing tables: min {nodes.Min(n => n.Node.NodeCount)}, mean {nodes.Average(n => n.Node.NodeCount):0.0}, max {nodes.Max(n => n.Node.NodeCount)} nodes");

            var random = new Random(2026);
            var lookups = new List<DhtLookupResult>();
            for (var h = 0; h < 10; h++)
            {
                var infoHash = new InfoHash(NodeId.Random(random).ToArray());
                var announcers = Enumerable.Range(0, 3).Select(_ => random.Next(NodeCount)).Distinct().ToList();
                foreach (var a in announcers)
                {
                    var announced = await nodes[a].Node.AnnounceAsync(infoHash, 10_000 + a, ct);
                    Assert.That(announced.Acknowledged, Is.GreaterThan(0), $"node {a} announce");
                }
                var expected = announcers.Select(a => new IPEndPoint(AddressOf(a), 10_000 + a)).ToList();
                foreach (var seeker in Enumerable.Range(0, 10).Select(_ => random.Next(NodeCount)))
                {
                    var result = await nodes[seeker].Node.GetPeersAsync(infoHash, null, ct);
                    lookups.Add(result);
                    var wanted = expected.Where(e => !e.Address.Equals(AddressOf(seeker))); // a node does not store its own announce
                    Assert.That(result.Peers, Is.SupersetOf(wanted), $"hash {h}, seeker {seeker}: {result.QueriesSent} queries, {result.Hops} hops");
                }
            }
            TestContext.Out.WriteLine($"{lookups.Count} get_peers lookups: queries mean {lookups.Average(l => l.QueriesSent):0.0} " +
                $"(max {lookups.Max(l => l.QueriesSent)}), hops mean {lookups.Average(l => l.Hops):0.0} (max {lookups.Max(l => l.Hops)}), " +
                $"time mean {lookups.Average(l => l.Elapsed.TotalMilliseconds):0} ms");
        }
        finally
        {
            foreach (var node in nodes)
                await node.DisposeAsync();
        }
    }

    private static IPAddress AddressOf(int i) => new([127, 0, (byte)(1 + i / 250), (byte)(1 + i % 250)]);
}
