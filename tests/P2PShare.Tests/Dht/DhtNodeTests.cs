using System.Net;
using Microsoft.Extensions.Logging.Abstractions;
using P2PShare.Bencode;
using P2PShare.Metainfo;
using P2PShare.Networking.Dht;
using P2PShare.Protocol.Dht;
using P2PShare.Tests.Support;

namespace P2PShare.Tests.Dht;

/// <summary>DhtNode on an in-memory network and fed hand-made datagrams.</summary>
[TestFixture]
public sealed class DhtNodeTests
{
    private static IPEndPoint Address(int i) => new(new IPAddress([10, 0, (byte)(i >> 8), (byte)i]), 6881);

    private static async Task<List<DhtNode>> StartNetworkAsync(InMemoryDatagramNetwork network, int count, int seed,
        Func<DhtOptions, DhtOptions>? configure = null)
    {
        var random = new Random(seed);
        var nodes = new List<DhtNode>();
        for (var i = 0; i < count; i++)
        {
            var options = new DhtOptions { NodeId = NodeId.Random(random), QueryTimeout = TimeSpan.FromSeconds(1) };
            var node = new DhtNode(configure?.Invoke(options) ?? options, network.SenderFor(Address(i)), TimeProvider.System,
                new Random(random.Next()), NullLogger.Instance);
            network.Attach(Address(i), node);
            nodes.Add(node);
        }
        // Each node joins through node 0, a few at a time (as nodes join a real network over time).
        foreach (var batch in nodes.Skip(1).Chunk(10))
            await Task.WhenAll(batch.Select(n => n.BootstrapAsync([Address(0)], CancellationToken.None)));
        return nodes;
    }

    [Test, CancelAfter(60_000)]
    public async Task AnnouncedPeerIsFoundByEveryOtherNode(CancellationToken ct)
    {
        var network = new InMemoryDatagramNetwork();
        var nodes = await StartNetworkAsync(network, 100, seed: 7);
        Assert.That(nodes.Min(n => n.NodeCount), Is.GreaterThanOrEqualTo(4), "every node knows some others");
        Assert.That(nodes.Average(n => n.NodeCount), Is.GreaterThanOrEqualTo(16), "on average more than two buckets' worth");

        var infoHash = new InfoHash(NodeId.Random(new Random(99)).ToArray());
        var announce = await nodes[42].AnnounceAsync(infoHash, 7042, ct);
        Assert.That(announce.Acknowledged, Is.GreaterThanOrEqualTo(6), $"announced to {announce.AnnouncedTo}");

        foreach (var seeker in new[] { 0, 1, 13, 77, 99 })
        {
            var found = await nodes[seeker].GetPeersAsync(infoHash, null, ct);
            Assert.That(found.Peers, Does.Contain(new IPEndPoint(Address(42).Address, 7042)),
                $"node {seeker}: {found.QueriesSent} queries, {found.Responses} answers, {found.Hops} hops");
        }
    }

    [Test, CancelAfter(60_000)]
    public async Task ImpliedPortAnnouncesTheUdpSourcePort(CancellationToken ct)
    {
        var network = new InMemoryDatagramNetwork();
        var nodes = await StartNetworkAsync(network, 30, seed: 3);
        var infoHash = new InfoHash(new byte[20]);
        await nodes[5].AnnounceAsync(infoHash, 1, ct, impliedPort: true);
        var peers = await nodes[20].GetPeersAsync(infoHash, ct);
        Assert.That(peers, Does.Contain(Address(5)));
    }

    [Test, CancelAfter(60_000)]
    public async Task FindNodeConvergesOnTheTrueClosestNodes(CancellationToken ct)
    {
        var network = new InMemoryDatagramNetwork();
        var nodes = await StartNetworkAsync(network, 150, seed: 11);
        var random = new Random(12);
        for (var round = 0; round < 5; round++)
        {
            var target = NodeId.Random(random);
            var truth = nodes.Select(n => n.Id).OrderBy(id => id.Xor(target)).Take(8).ToList();
            var asker = nodes[random.Next(nodes.Count)];
            var result = await asker.FindNodeAsync(target, ct);
            var found = result.Closest.Select(c => c.Id).ToList();
            // The asker never lists itself; compare with the true closest others.
            Assert.That(found, Is.EqualTo(truth.Where(id => id != asker.Id).Take(found.Count)), $"round {round}");
            Assert.That(found, Has.Count.EqualTo(8));
            Assert.That(result.QueriesSent, Is.LessThanOrEqualTo(new DhtOptions().MaxLookupQueries));
        }
    }

    [Test, CancelAfter(30_000)]
    public async Task OfflineNodesTimeOutAndTheLookupStillFinishes(CancellationToken ct)
    {
        var network = new InMemoryDatagramNetwork();
        var nodes = await StartNetworkAsync(network, 40, seed: 5, o => o with { QueryTimeout = TimeSpan.FromMilliseconds(300) });
        for (var i = 10; i < 30; i++)
            network.SetOffline(Address(i));
        var result = await nodes[0].FindNodeAsync(NodeId.Random(new Random(1)), ct);
        Assert.That(result.Steps.Any(s => !s.Responded), Is.True, "some queries went unanswered");
        Assert.That(result.Closest, Is.Not.Empty);
        Assert.That(result.Closest.Select(c => c.EndPoint), Has.None.Matches<IPEndPoint>(e => e.Address.GetAddressBytes()[3] is >= 10 and < 30));
    }

    [Test, CancelAfter(30_000)]
    public async Task AQueryWithoutAnswerTimesOutOnTheInjectedClock(CancellationToken ct)
    {
        var clock = new ManualTimeProvider();
        var sender = new CapturingSender();
        var node = new DhtNode(new DhtOptions { QueryTimeout = TimeSpan.FromSeconds(3) }, sender, clock, new Random(1), NullLogger.Instance);
        var ping = node.AddNodeAsync(Address(1), ct);
        await Eventually.UntilAsync(() => node.Status.PendingQueries == 1 && clock.ActiveTimers > 0, TimeSpan.FromSeconds(5), "the ping to be pending", cancellationToken: ct);
        Assert.That(ping.IsCompleted, Is.False);
        clock.Advance(TimeSpan.FromSeconds(3));
        Assert.That(await ping.WaitAsync(TimeSpan.FromSeconds(5), ct), Is.False);
        Assert.That(node.Status.PendingQueries, Is.Zero);
    }

    [Test, CancelAfter(60_000)]
    public async Task StateFileLetsARestartedNodeSkipBootstrapping(CancellationToken ct)
    {
        await using var work = new TempDirectory();
        var path = work.Combine("dht.dat");
        var network = new InMemoryDatagramNetwork();
        var nodes = await StartNetworkAsync(network, 40, seed: 21);
        var me = Address(500);
        var first = new DhtNode(new DhtOptions { StateFilePath = path }, network.SenderFor(me), TimeProvider.System, new Random(2), NullLogger.Instance);
        network.Attach(me, first);
        await first.BootstrapAsync([Address(0)], ct);
        await first.SaveStateAsync(ct);
        Assert.That(new FileInfo(path).Length, Is.LessThan(64 * 1024));

        var second = new DhtNode(new DhtOptions { StateFilePath = path }, network.SenderFor(me), TimeProvider.System, new Random(3), NullLogger.Instance);
        network.Attach(me, second);
        Assert.That(second.Id, Is.EqualTo(first.Id), "same id after a restart");
        Assert.That(second.NodeCount, Is.EqualTo(first.NodeCount));
        var infoHash = new InfoHash(new byte[20]);
        await nodes[7].AnnounceAsync(infoHash, 4000, ct);
        Assert.That(await second.GetPeersAsync(infoHash, ct), Does.Contain(new IPEndPoint(Address(7).Address, 4000)), "no bootstrap call needed");
    }

    [Test, CancelAfter(30_000)]
    public async Task AnExternalAddressFromTheRouterGivesTheNextStartABep42Id(CancellationToken ct)
    {
        await using var work = new TempDirectory();
        var path = work.Combine("dht.dat");
        var external = IPAddress.Parse("203.0.113.77");
        var first = new DhtNode(new DhtOptions { StateFilePath = path }, new CapturingSender(), TimeProvider.System, new Random(4), NullLogger.Instance);
        Assert.That(NodeIdFactory.IsValid(first.Id, external), Is.False, "a random id is not valid for that address");
        first.LearnExternalAddress(external, "the router");
        Assert.That(first.ExternalAddress, Is.EqualTo(external));
        await first.SaveStateAsync(ct);

        var second = new DhtNode(new DhtOptions { StateFilePath = path }, new CapturingSender(), TimeProvider.System, new Random(5), NullLogger.Instance);
        Assert.That(second.ExternalAddress, Is.EqualTo(external));
        Assert.That(NodeIdFactory.IsValid(second.Id, external), Is.True, "BEP 42: the id follows the external address at the next start");
    }

    [Test]
    public void CorruptStateFileMeansAFreshStart()
    {
        using var work = new TempDirectory();
        var path = work.Combine("dht.dat");
        File.WriteAllText(path, "d2:id3:abce");
        var node = new DhtNode(new DhtOptions { StateFilePath = path }, new CapturingSender(), TimeProvider.System, new Random(1), NullLogger.Instance);
        Assert.That(node.NodeCount, Is.Zero);
    }

    private static readonly IPEndPoint Attacker = new(IPAddress.Parse("198.51.100.66"), 4444);

    private static (DhtNode Node, CapturingSender Sender) LoneNode(Func<DhtOptions, DhtOptions>? configure = null, TimeProvider? time = null)
    {
        var sender = new CapturingSender();
        var options = new DhtOptions { NodeId = NodeId.Random(new Random(1)) };
        return (new DhtNode(configure?.Invoke(options) ?? options, sender, time ?? TimeProvider.System, new Random(1), NullLogger.Instance), sender);
    }

    private static byte[] Query(string method, BDictionary arguments, string tid = "xy") => BencodeEncoder.Encode(new BDictionary
        { ["t"] = new BString(tid), ["y"] = new BString("q"), ["q"] = new BString(method), ["a"] = arguments });

    private static BDictionary Args(params (string Key, BValue Value)[] extra)
    {
        var a = new BDictionary { ["id"] = new BString(NodeId.Random(new Random(5)).ToArray()) };
        foreach (var (key, value) in extra)
            a[key] = value;
        return a;
    }

    private static KrpcMessage Reply(CapturingSender sender) => KrpcCodec.Decode(sender.Sent[^1].Datagram);

    private static IEnumerable<TestCaseData> HostileQueries()
    {
        yield return new TestCaseData(Query("ping", new BDictionary { ["id"] = new BString("short") }), 203).SetName("Node: bad id gets 203");
        yield return new TestCaseData(Query("vote", Args()), 204).SetName("Node: unknown method gets 204");
        yield return new TestCaseData(Query("announce_peer", Args(("info_hash", new BString(new byte[20])), ("port", new BInteger(6881)),
            ("token", new BString("forged!!")))), 203).SetName("Node: announce with a forged token gets 203");
        yield return new TestCaseData(Query("find_node", Args(("target", new BInteger(1)))), 203).SetName("Node: wrong target type gets 203");
        yield return new TestCaseData(Query("get_peers", Args(("info_hash", new BString(new byte[19])))), 203).SetName("Node: short info_hash gets 203");
    }

    [TestCaseSource(nameof(HostileQueries))]
    public void HostileQueriesGetAnErrorAnswer(byte[] datagram, int code)
    {
        var (node, sender) = LoneNode();
        Assert.That(node.TryHandle(datagram, Attacker), Is.True);
        var reply = Reply(sender);
        Assert.That(reply, Is.TypeOf<KrpcError>());
        Assert.That(((KrpcError)reply).Code, Is.EqualTo(code));
        Assert.That(reply.TransactionId, Is.EqualTo("xy"u8.ToArray()));
        Assert.That(sender.Sent[^1].To, Is.EqualTo(Attacker));
    }

    [Test]
    public void JunkIsDroppedWithoutAnswer()
    {
        var (node, sender) = LoneNode();
        Assert.That(node.TryHandle([0x41, 0x02, 0, 0], Attacker), Is.False, "not a KRPC datagram: left for other handlers");
        Assert.That(node.TryHandle("d1:xe"u8, Attacker), Is.True);
        Assert.That(node.TryHandle("de"u8, Attacker), Is.True);
        Assert.That(node.TryHandle(new byte[5000].Select(_ => (byte)'d').ToArray(), Attacker), Is.True);
        // A response nobody asked for, with a huge node list.
        var unsolicited = BencodeEncoder.Encode(new BDictionary { ["t"] = new BString("zz"), ["y"] = new BString("r"),
            ["r"] = new BDictionary { ["id"] = new BString(new byte[20]), ["nodes"] = new BString(new byte[26 * 60]) } });
        Assert.That(node.TryHandle(unsolicited, Attacker), Is.True);
        Assert.That(sender.Sent, Is.Empty);
        Assert.That(node.Status.Dropped, Is.EqualTo(4));
        Assert.That(node.NodeCount, Is.Zero, "unsolicited responses add nothing");
    }

    [Test]
    public void AFloodFromOneAddressIsCutToItsBudget()
    {
        // A clock that stands still: exactly the burst is answered (on the wall clock a loaded machine refills tokens).
        var (node, sender) = LoneNode(o => o with { QueriesPerSecondPerIp = 5, QueryBurstPerIp = 10 }, new ManualTimeProvider());
        for (var i = 0; i < 10_000; i++)
            node.TryHandle(Query("ping", Args(), tid: $"{i:x4}"), Attacker);
        Assert.That(sender.Sent.Count, Is.EqualTo(10));
        Assert.That(node.Status.Dropped, Is.GreaterThan(9_900));
        node.TryHandle(Query("ping", Args(), tid: "ok"), new IPEndPoint(IPAddress.Parse("203.0.113.9"), 1));
        Assert.That(Reply(sender).TransactionId, Is.EqualTo("ok"u8.ToArray()), "another address is still answered");
    }

    [Test]
    public void ManyAnnouncersFillTheStoreOnlyUpToItsBounds()
    {
        // The global query budget is not what this test is about (and runs on the wall clock here): lift it.
        var (node, sender) = LoneNode(o => o with { MaxInfoHashes = 10, MaxPeersPerInfoHash = 5, GlobalQueriesPerSecond = 1e9 });
        var random = new Random(9);
        for (var i = 0; i < 2000; i++)
        {
            var from = new IPEndPoint(new IPAddress([203, 0, (byte)(i >> 8), (byte)i]), 5000);
            var hash = new BString(NodeId.Random(random).ToArray());
            node.TryHandle(Query("get_peers", Args(("info_hash", hash))), from);
            var token = ((KrpcResponse)Reply(sender)).Token!;
            node.TryHandle(Query("announce_peer", Args(("info_hash", hash), ("port", new BInteger(6881)), ("token", new BString(token)))), from);
            Assert.That(Reply(sender), Is.TypeOf<KrpcResponse>(), "a valid announce is accepted");
        }
        Assert.That((node.Status.StoredInfoHashes, node.Status.StoredPeers), Is.EqualTo((10, 10)));
        Assert.That(node.NodeCount, Is.LessThanOrEqualTo(160 * 8));
    }

    [Test]
    public void GetPeersReturnsAnnouncedPeersAndTheRequesterAddress()
    {
        var (node, sender) = LoneNode();
        var hash = new BString(new byte[20]);
        var announcer = new IPEndPoint(IPAddress.Parse("203.0.113.1"), 7777);
        node.TryHandle(Query("get_peers", Args(("info_hash", hash))), announcer);
        var token = ((KrpcResponse)Reply(sender)).Token!;
        node.TryHandle(Query("announce_peer", Args(("info_hash", hash), ("port", new BInteger(1234)), ("token", new BString(token)))), announcer);
        var asker = new IPEndPoint(IPAddress.Parse("203.0.113.2"), 8888);
        node.TryHandle(Query("get_peers", Args(("info_hash", hash))), asker);
        var reply = (KrpcResponse)Reply(sender);
        Assert.That(reply.Values, Is.EqualTo(new[] { new IPEndPoint(announcer.Address, 1234) }));
        Assert.That(reply.RequesterAddress, Is.EqualTo(asker), "BEP 42 ip field");
        // The token is bound to the announcer's address: another address cannot use it.
        node.TryHandle(Query("announce_peer", Args(("info_hash", hash), ("port", new BInteger(1)), ("token", new BString(token)))), asker);
        Assert.That(((KrpcError)Reply(sender)).Code, Is.EqualTo(203));
    }
}
