using System.Net;
using P2PShare.Networking.Dht;
using P2PShare.Protocol.Dht;
using P2PShare.Tests.Support;

namespace P2PShare.Tests.Dht;

[TestFixture]
public sealed class RoutingTableTests
{
    private static readonly NodeId Own = NodeId.Parse("0000000000000000000000000000000000000000");
    private readonly ManualTimeProvider _clock = new();
    private int _nextPort = 1000;

    private RoutingTable NewTable() => new(Own, 8, TimeSpan.FromMinutes(15), 2, _clock);

    /// <summary>An id whose first bit set is <paramref name="prefix"/> (so it shares that many bits with Own), plus a tail.</summary>
    private static NodeId IdAtDistance(int prefix, int tail)
    {
        var bytes = new byte[20];
        bytes[prefix / 8] |= (byte)(0x80 >> (prefix % 8));
        bytes[19] |= (byte)tail;
        bytes[18] |= (byte)(tail >> 8);
        return new NodeId(bytes);
    }

    private NodeContact Contact(NodeId id) => new(id, new IPEndPoint(IPAddress.Parse("10.0.0.1"), _nextPort++));

    [Test]
    public void OnlyTheBucketHoldingOurIdSplits()
    {
        var table = NewTable();
        // Nine nodes far away (first bit differs): the first bucket fills, splits once, the far bucket stays at 8.
        for (var i = 0; i < 9; i++)
            table.Heard(Contact(IdAtDistance(0, i + 1)), responded: true);
        Assert.That(table.Buckets, Has.Count.EqualTo(2));
        Assert.That(table.Buckets[0].Nodes, Has.Count.EqualTo(8), "far bucket full");
        Assert.That(table.Buckets[0].Replacements, Has.Count.EqualTo(1), "the ninth waits as a replacement");
        // More far nodes never split the far bucket again.
        for (var i = 0; i < 20; i++)
            Assert.That(table.Heard(Contact(IdAtDistance(0, 100 + i)), responded: true), Is.EqualTo(RoutingUpdate.Cached));
        Assert.That(table.Buckets, Has.Count.EqualTo(2));
        Assert.That(table.Buckets[0].Replacements, Has.Count.EqualTo(8), "replacement cache is bounded by K");
        // Nodes close to us keep splitting the last bucket.
        for (var prefix = 1; prefix < 40; prefix++)
            table.Heard(Contact(IdAtDistance(prefix, 1)), responded: true);
        Assert.That(table.Buckets.Count, Is.GreaterThan(2));
        Assert.That(table.Buckets.Take(table.Buckets.Count - 1).Select(b => b.Nodes.All(n => Own.CommonPrefixLength(n.Id) == b.Depth)),
            Is.All.True, "each bucket but the last holds exactly its prefix length");
        Assert.That(table.Count, Is.EqualTo(8 + 39));
    }

    [Test]
    public void ABadNodeIsReplacedFromTheCache()
    {
        var table = NewTable();
        var nodes = Enumerable.Range(1, 8).Select(i => Contact(IdAtDistance(0, i))).ToList();
        foreach (var node in nodes)
            table.Heard(node, responded: true);
        table.Heard(Contact(IdAtDistance(1, 1)), responded: true); // forces the split, so bucket 0 is final
        var waiting = Contact(IdAtDistance(0, 50));
        Assert.That(table.Heard(waiting, responded: true), Is.EqualTo(RoutingUpdate.Cached));

        table.Failed(nodes[3].Id);
        Assert.That(table.Find(nodes[3].Id), Is.Not.Null, "one failure: questionable, still there");
        table.Failed(nodes[3].Id);
        Assert.That(table.Find(nodes[3].Id), Is.Null, "two failures: bad, replaced");
        Assert.That(table.Find(waiting.Id), Is.Not.Null, "the cached node stepped in");
    }

    [Test]
    public void ANewNodeTakesTheSlotOfABadOneWhenTheCacheIsEmpty()
    {
        var table = NewTable();
        var nodes = Enumerable.Range(1, 8).Select(i => Contact(IdAtDistance(0, i))).ToList();
        foreach (var node in nodes)
            table.Heard(node, responded: true);
        table.Heard(Contact(IdAtDistance(1, 1)), responded: true);
        table.Failed(nodes[0].Id);
        table.Failed(nodes[0].Id);
        var fresh = Contact(IdAtDistance(0, 99));
        Assert.That(table.Heard(fresh, responded: true), Is.EqualTo(RoutingUpdate.Replaced));
        Assert.That(table.Find(nodes[0].Id), Is.Null);
    }

    [Test]
    public void NodesGoQuestionableAfterFifteenQuietMinutes()
    {
        var table = NewTable();
        var node = Contact(IdAtDistance(3, 1));
        table.Heard(node, responded: true);
        Assert.That(table.CountIn(NodeState.Good), Is.EqualTo(1));
        _clock.Advance(TimeSpan.FromMinutes(16));
        Assert.That(table.CountIn(NodeState.Questionable), Is.EqualTo(1));
        Assert.That(table.TakeNodesToPing(8, TimeSpan.FromMinutes(1)), Is.EqualTo(new[] { node }));
        Assert.That(table.TakeNodesToPing(8, TimeSpan.FromMinutes(1)), Is.Empty, "not pinged twice in a row");
        table.Heard(node, responded: false); // it queried us; it has answered before, so it is good again
        Assert.That(table.CountIn(NodeState.Good), Is.EqualTo(1));
    }

    [Test]
    public void ANodeThatNeverAnsweredIsNotGood()
    {
        var table = NewTable();
        table.Heard(Contact(IdAtDistance(3, 1)), responded: false);
        Assert.That(table.CountIn(NodeState.Questionable), Is.EqualTo(1));
    }

    [Test]
    public void AnAddressCannotClaimASecondIdWhileTheFirstIsAlive()
    {
        var table = NewTable();
        var first = Contact(IdAtDistance(2, 1));
        table.Heard(first, responded: true);
        Assert.That(table.Heard(new NodeContact(IdAtDistance(5, 5), first.EndPoint), responded: true), Is.EqualTo(RoutingUpdate.Rejected));
        Assert.That(table.Heard(new NodeContact(first.Id, new IPEndPoint(IPAddress.Parse("10.9.9.9"), 1)), responded: true),
            Is.EqualTo(RoutingUpdate.Rejected));
        Assert.That(table.Heard(new NodeContact(Own, new IPEndPoint(IPAddress.Parse("10.9.9.9"), 2)), responded: true),
            Is.EqualTo(RoutingUpdate.Rejected), "our own id");
        Assert.That(table.Count, Is.EqualTo(1));
    }

    [Test]
    public void ClosestIsOrderedByXorDistanceAndSkipsBadNodes()
    {
        var table = NewTable();
        var random = new Random(3);
        var contacts = Enumerable.Range(0, 200).Select(_ => Contact(NodeId.Random(random))).ToList();
        foreach (var c in contacts)
            table.Heard(c, responded: true);
        var target = NodeId.Random(random);
        var closest = table.Closest(target, 8);
        var expected = table.Entries.Select(e => e.Contact).OrderBy(c => c.Id.Xor(target)).Take(8);
        Assert.That(closest, Is.EqualTo(expected));
        table.Failed(closest[0].Id);
        table.Failed(closest[0].Id);
        Assert.That(table.Closest(target, 8), Does.Not.Contain(closest[0]));
    }

    [Test]
    public void StaleBucketsGetARefreshTargetInsideTheirRange()
    {
        var table = NewTable();
        var random = new Random(5);
        for (var i = 0; i < 100; i++)
            table.Heard(Contact(NodeId.Random(random)), responded: true);
        Assert.That(table.StaleBucketTargets(TimeSpan.FromMinutes(15), random), Is.Empty);
        _clock.Advance(TimeSpan.FromMinutes(16));
        var targets = table.StaleBucketTargets(TimeSpan.FromMinutes(15), random);
        Assert.That(targets, Has.Count.EqualTo(table.Buckets.Count));
        foreach (var bucket in table.Buckets)
            Assert.That(table.BucketIndex(table.RandomIdIn(bucket, random)), Is.EqualTo(table.Buckets.ToList().IndexOf(bucket)));
    }
}
