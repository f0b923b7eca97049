using P2PShare.Engine.Picking;
using P2PShare.Protocol;

namespace P2PShare.Tests.Engine.Picking;

/// <summary>Rarest-first's tie-break among equally rare pieces: the neighbour of the previous pick, within an aligned extent.</summary>
public class ExtentAffinityTests
{
    [Test]
    public void Equally_rare_pieces_are_picked_in_runs_of_neighbours_that_stop_at_extent_boundaries()
    {
        var pieces = RarestFirstPicker.ExtentPieces * 4;
        var swarm = new FakeSwarm(pieces);
        var seeder = swarm.AddPeer(Enumerable.Range(0, pieces).ToArray());
        var picker = new RarestFirstPicker(swarm.Availability, new Random(7));

        var picks = new List<int>();
        for (var i = 0; i < pieces; i++)
        {
            var piece = swarm.Pick(picker, seeder);
            Assert.That(piece, Is.GreaterThanOrEqualTo(0));
            swarm.Busy[piece] = true;
            picks.Add(piece);
        }
        var neighbours = picks.Zip(picks.Skip(1)).Count(p => p.Second == p.First + 1);
        var crossings = picks.Zip(picks.Skip(1)).Count(p => p.Second == p.First + 1 && p.Second % RarestFirstPicker.ExtentPieces == 0);
        TestContext.Out.WriteLine($"{neighbours} of {pieces - 1} picks were the previous pick's neighbour");
        Assert.That(picks.Distinct().Count(), Is.EqualTo(pieces));
        Assert.That(neighbours, Is.GreaterThan(pieces * 3 / 4), "without affinity nearly none are");
        Assert.That(crossings, Is.Zero, "a run never continues into the next extent");
    }

    [Test]
    public void A_rarer_piece_still_wins_over_the_neighbour_of_the_previous_pick()
    {
        var swarm = new FakeSwarm(16);
        var seeder = swarm.AddPeer(Enumerable.Range(0, 16).ToArray());
        var picker = new RarestFirstPicker(swarm.Availability, new Random(1));
        var first = swarm.Pick(picker, seeder);
        swarm.Busy[first] = true;
        var neighbour = (first + 1) % 16;
        var rare = (first + 8) % 16;
        // Another peer has every piece but one: that one is now rarer than the neighbour of the first pick.
        swarm.AddPeer(Enumerable.Range(0, 16).Where(p => p != rare).ToArray());
        Assert.That(swarm.Pick(picker, seeder), Is.EqualTo(rare).And.Not.EqualTo(neighbour));
    }

    [Test]
    public void A_neighbour_that_is_busy_or_that_we_have_is_skipped_for_a_random_equally_rare_piece()
    {
        var swarm = new FakeSwarm(64);
        var seeder = swarm.AddPeer(Enumerable.Range(0, 64).ToArray());
        var picker = new RarestFirstPicker(swarm.Availability, new Random(3));
        var first = swarm.Pick(picker, seeder);
        swarm.Busy[first] = true;
        if (first + 1 < 64)
            swarm.Busy[first + 1] = true;
        var second = swarm.Pick(picker, seeder);
        Assert.That(second, Is.Not.EqualTo(first).And.Not.EqualTo(first + 1));
        Assert.That(swarm.Busy[second], Is.False);
    }

    [Test]
    public void HasAnyNotIn_tests_byte_by_byte_what_the_bit_loop_tested()
    {
        var random = new Random(5);
        for (var trial = 0; trial < 200; trial++)
        {
            var length = random.Next(1, 70);
            var a = new Bitfield(length);
            var b = new Bitfield(length);
            for (var i = 0; i < length; i++)
            {
                a[i] = random.Next(3) == 0;
                b[i] = random.Next(2) == 0 || a[i] && random.Next(4) != 0;
            }
            var expected = Enumerable.Range(0, length).Any(i => a[i] && !b[i]);
            Assert.That(a.HasAnyNotIn(b), Is.EqualTo(expected));
        }
        Assert.Throws<ArgumentException>(() => new Bitfield(8).HasAnyNotIn(new Bitfield(9)));
    }
}
