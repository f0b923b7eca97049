using P2PShare.Engine.Picking;

namespace P2PShare.Tests.Engine.Picking;

public class RarestFirstPickerTests
{
    [Test]
    public void The_piece_fewest_peers_have_is_picked()
    {
        var swarm = new FakeSwarm(8);
        var seeder = swarm.AddPeer(0, 1, 2, 3, 4, 5, 6, 7);
        swarm.AddPeer(0, 1, 2, 3, 4, 6, 7);
        swarm.AddPeer(0, 1, 2, 3, 6, 7);
        var picker = new RarestFirstPicker(swarm.Availability, new Random(1));

        Assert.That(swarm.Pick(picker, seeder), Is.EqualTo(5));
        swarm.Busy[5] = true;
        Assert.That(swarm.Pick(picker, seeder), Is.EqualTo(4));
        swarm.WeHave[4] = true;
        Assert.That(swarm.Pick(picker, seeder), Is.AnyOf(0, 1, 2, 3, 6, 7));
    }

    [Test]
    public void Only_pieces_the_peer_has_are_picked_even_when_rarer_ones_exist()
    {
        var swarm = new FakeSwarm(4);
        swarm.AddPeer(0);
        var peer = swarm.AddPeer(1, 2);
        swarm.AddPeer(2);
        var picker = new RarestFirstPicker(swarm.Availability, new Random(1));
        Assert.That(swarm.Pick(picker, peer), Is.EqualTo(1));
    }

    [Test]
    public void Ties_are_broken_at_random_so_peers_asking_at_once_spread_out()
    {
        var swarm = new FakeSwarm(50);
        var peer = swarm.AddPeer(Enumerable.Range(0, 50).ToArray());
        var picks = new HashSet<int>();
        for (var seed = 0; seed < 20; seed++)
            picks.Add(swarm.Pick(new RarestFirstPicker(swarm.Availability, new Random(seed)), peer));
        Assert.That(picks.Count, Is.GreaterThan(10));
    }

    [Test]
    public void Seeds_count_for_every_piece_and_a_seed_alone_can_be_picked_from()
    {
        var swarm = new FakeSwarm(3);
        swarm.Availability.AddSeed();
        swarm.AddPeer(0, 2);
        var picker = new RarestFirstPicker(swarm.Availability, new Random(1));
        Assert.That(swarm.Availability[1], Is.EqualTo(1));
        Assert.That(swarm.Pick(picker, swarm.All()), Is.EqualTo(1));
    }

    [Test]
    public void A_piece_we_have_that_left_the_ranking_is_never_picked_and_nothing_left_gives_minus_one()
    {
        var swarm = new FakeSwarm(2);
        var peer = swarm.AddPeer(0, 1);
        swarm.Availability.SetExcluded(0, true);
        swarm.WeHave[0] = true;
        var picker = new RarestFirstPicker(swarm.Availability, new Random(1));
        Assert.That(swarm.Pick(picker, peer), Is.EqualTo(1));
        swarm.Busy[1] = true;
        Assert.That(swarm.Pick(picker, peer), Is.EqualTo(-1));
    }

    [Test]
    public void A_peer_never_counted_still_gets_a_pick()
    {
        var swarm = new FakeSwarm(3);
        var picker = new RarestFirstPicker(swarm.Availability, new Random(1));
        Assert.That(swarm.Pick(picker, FakeSwarm.Pieces(3, 2)), Is.EqualTo(2));
    }
}
