using P2PShare.Engine;
using P2PShare.Tests.Support;

namespace P2PShare.Tests.Engine;

public class ChokerTests
{
    [Test]
    public void The_fastest_interested_peers_get_the_regular_slots_plus_one_optimistic()
    {
        var clock = new ManualTimeProvider();
        var choker = new Choker(uploadSlots: 2, clock, new Random(5));
        var candidates = new List<ChokeCandidate>
        {
            new(0, IsInterested: true, Rate: 100, IsNew: false, IsSnubbed: false),
            new(1, IsInterested: true, Rate: 900, IsNew: false, IsSnubbed: false),
            new(2, IsInterested: false, Rate: 5000, IsNew: false, IsSnubbed: false),
            new(3, IsInterested: true, Rate: 500, IsNew: false, IsSnubbed: false),
            new(4, IsInterested: true, Rate: 800, IsNew: false, IsSnubbed: true),
        };
        var unchoked = choker.Decide(candidates);
        Assert.That(unchoked, Does.Contain(1).And.Contain(3));
        Assert.That(unchoked, Does.Not.Contain(2), "not interested peers are never unchoked");
        Assert.That(unchoked.Count, Is.EqualTo(3));
        Assert.That(new[] { 0, 4 }, Does.Contain(choker.OptimisticPeer));
    }

    [Test]
    public void The_optimistic_unchoke_rotates_every_30_seconds_and_not_before()
    {
        var clock = new ManualTimeProvider();
        var choker = new Choker(uploadSlots: 1, clock, new Random(11));
        var candidates = Enumerable.Range(0, 6).Select(i => new ChokeCandidate(i, true, Rate: i == 0 ? 1000 : 0, IsNew: false, IsSnubbed: false)).ToList();
        choker.Decide(candidates);
        var first = choker.OptimisticPeer;
        clock.Advance(TimeSpan.FromSeconds(10));
        choker.Decide(candidates);
        Assert.That(choker.OptimisticPeer, Is.EqualTo(first), "kept within 30 s");
        var seen = new HashSet<int?> { first };
        for (var i = 0; i < 10; i++)
        {
            clock.Advance(Choker.OptimisticInterval);
            choker.Decide(candidates);
            seen.Add(choker.OptimisticPeer);
        }
        Assert.That(seen.Count, Is.GreaterThan(2), "rotates among the choked peers");
        Assert.That(seen, Does.Not.Contain(0), "the regular slot's peer is never the optimistic one");
    }

    [Test]
    public void New_peers_are_favoured_for_the_optimistic_slot()
    {
        var newWins = 0;
        for (var seed = 0; seed < 200; seed++)
        {
            var choker = new Choker(0, new ManualTimeProvider(), new Random(seed));
            choker.Decide([new ChokeCandidate(0, true, 0, IsNew: true, false), new ChokeCandidate(1, true, 0, IsNew: false, false)]);
            if (choker.OptimisticPeer == 0)
                newWins++;
        }
        Assert.That(newWins, Is.InRange(120, 180), "three chances in four");
    }
}
