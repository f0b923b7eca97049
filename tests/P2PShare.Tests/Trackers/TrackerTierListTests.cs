using P2PShare.Networking.Trackers;

namespace P2PShare.Tests.Trackers;

public class TrackerTierListTests
{
    private static readonly string[][] Tiers = [["a1", "a2", "a3", "a4", "a5"], ["b1", "b2"], [], ["c1"]];

    [Test]
    public void ShuffleIsWithinTiersAndDeterministicForASeed()
    {
        var first = new TrackerTierList<string>(Tiers, new Random(7)).Tiers();
        var second = new TrackerTierList<string>(Tiers, new Random(7)).Tiers();
        Assert.That(first, Is.EqualTo(second));
        Assert.That(first, Has.Count.EqualTo(3), "empty tiers are dropped");
        Assert.That(first[0], Is.EquivalentTo(Tiers[0]));
        Assert.That(first[1], Is.EquivalentTo(Tiers[1]));
        Assert.That(first[2], Is.EqualTo(new[] { "c1" }));
        var orders = Enumerable.Range(0, 20).Select(seed => string.Join(",", new TrackerTierList<string>(Tiers, new Random(seed)).Tiers()[0])).Distinct();
        Assert.That(orders.Count(), Is.GreaterThan(1), "tiers are actually shuffled");
    }

    [Test]
    public void PromoteMovesToTheFrontOfItsOwnTierOnly()
    {
        var list = new TrackerTierList<string>(Tiers, new Random(1));
        var before = list.Tiers();
        var last = before[0][^1];
        list.Promote(last);
        var after = list.Tiers();
        Assert.That(after[0][0], Is.EqualTo(last));
        Assert.That(after[0].Skip(1), Is.EqualTo(before[0].Take(before[0].Count - 1)));
        Assert.That(after[1], Is.EqualTo(before[1]));
        Assert.That(list.InOrder().Take(5), Is.EqualTo(after[0]));
        Assert.That(list.InOrder().Skip(5).First(), Is.EqualTo(after[1][0]), "lower tiers come after");
    }
}
