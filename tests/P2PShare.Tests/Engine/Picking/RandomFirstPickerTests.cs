using P2PShare.Engine.Picking;

namespace P2PShare.Tests.Engine.Picking;

public class RandomFirstPickerTests
{
    [Test]
    public void Before_the_first_pieces_a_random_candidate_is_picked_without_asking_the_rest_of_the_chain()
    {
        var swarm = new FakeSwarm(100);
        var peer = swarm.All();
        var firsts = new HashSet<int>();
        for (var seed = 0; seed < 20; seed++)
        {
            var next = new RecordingPicker();
            firsts.Add(swarm.Pick(new RandomFirstPicker(new Random(seed), 4, next), peer));
            Assert.That(next.Calls, Is.Zero);
        }
        Assert.That(firsts.Count, Is.GreaterThan(10));
    }

    [Test]
    public void Once_we_have_the_first_pieces_the_next_picker_decides()
    {
        var swarm = new FakeSwarm(10);
        foreach (var piece in new[] { 3, 5, 7, 9 })
            swarm.WeHave[piece] = true;
        var next = new RecordingPicker();
        Assert.That(swarm.Pick(new RandomFirstPicker(new Random(1), 4, next), swarm.All()), Is.EqualTo(0));
        Assert.That(next.Calls, Is.EqualTo(1));
    }

    [Test]
    public void Random_picks_are_candidates_only()
    {
        var swarm = new FakeSwarm(20);
        swarm.WeHave[4] = true;
        swarm.Busy[6] = true;
        swarm.Priorities.Set(8, PiecePriority.Skip);
        var peer = FakeSwarm.Pieces(20, 1, 4, 6, 8, 12);
        var picks = new HashSet<int>();
        for (var seed = 0; seed < 50; seed++)
            picks.Add(swarm.Pick(new RandomFirstPicker(new Random(seed), 4, new RecordingPicker()), peer));
        Assert.That(picks, Is.EquivalentTo(new[] { 1, 12 }));
        Assert.That(swarm.Pick(new RandomFirstPicker(new Random(1), 4, new RecordingPicker()), FakeSwarm.Pieces(20, 4, 6)), Is.EqualTo(-1));
    }
}
