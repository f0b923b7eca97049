using P2PShare.Engine.Picking;

namespace P2PShare.Tests.Engine.Picking;

public class PriorityPickerTests
{
    [Test]
    public void High_pieces_come_before_normal_before_low_and_skipped_ones_never()
    {
        var swarm = new FakeSwarm(6);
        swarm.Priorities.Set(0, PiecePriority.Skip);
        swarm.Priorities.Set(1, PiecePriority.Low);
        swarm.Priorities.Set(4, PiecePriority.High);
        // 2, 3 and 5 stay normal.
        var picker = new PriorityPicker(new RecordingPicker());
        var order = new List<int>();
        for (var piece = swarm.Pick(picker, swarm.All()); piece >= 0; piece = swarm.Pick(picker, swarm.All()))
        {
            order.Add(piece);
            swarm.Busy[piece] = true;
        }
        Assert.That(order, Is.EqualTo(new[] { 4, 2, 3, 5, 1 }));
    }

    [Test]
    public void Levels_no_piece_has_are_not_asked_and_the_level_is_cleared_afterwards()
    {
        var swarm = new FakeSwarm(3);
        var next = new RecordingPicker();
        var picker = new PriorityPicker(next);
        Assert.That(swarm.Pick(picker, FakeSwarm.Pieces(3)), Is.EqualTo(-1));
        Assert.That(next.Levels, Is.EqualTo(new PiecePriority?[] { PiecePriority.Normal }));
        Assert.That(swarm.Context.Level, Is.Null);
    }

    [Test]
    public void The_chain_below_only_sees_candidates_of_the_level_asked()
    {
        var swarm = new FakeSwarm(4);
        swarm.Priorities.Set(2, PiecePriority.High);
        swarm.Priorities.Set(3, PiecePriority.Low);
        var next = new RecordingPicker();
        Assert.That(swarm.Pick(new PriorityPicker(next), FakeSwarm.Pieces(4, 0, 3)), Is.EqualTo(0));
        Assert.That(next.Levels, Is.EqualTo(new PiecePriority?[] { PiecePriority.High, PiecePriority.Normal }));
    }

    [Test]
    public void A_level_whose_pieces_the_peer_lacks_or_we_fetch_falls_through_to_the_next()
    {
        var swarm = new FakeSwarm(5);
        swarm.Priorities.Set(0, PiecePriority.High);
        swarm.Priorities.Set(1, PiecePriority.High);
        swarm.Priorities.Set(4, PiecePriority.Low);
        var picker = new PriorityPicker(new RecordingPicker());
        swarm.Busy[0] = true;
        // The peer lacks high piece 1 and normal 2-3: the low piece is what it can give.
        Assert.That(swarm.Pick(picker, FakeSwarm.Pieces(5, 0, 4)), Is.EqualTo(4));
        swarm.WeHave[4] = true;
        Assert.That(swarm.Pick(picker, FakeSwarm.Pieces(5, 0, 4)), Is.EqualTo(-1), "busy, had: nothing");
        Assert.That(swarm.Pick(picker, FakeSwarm.Pieces(5, 1, 2)), Is.EqualTo(1));
    }

    [Test]
    public void A_level_fixed_by_the_caller_is_kept()
    {
        var swarm = new FakeSwarm(3);
        swarm.Priorities.Set(0, PiecePriority.High);
        var next = new RecordingPicker();
        swarm.Context.PeerHas = swarm.All();
        swarm.Context.Level = PiecePriority.Normal;
        Assert.That(new PriorityPicker(next).Pick(swarm.Context), Is.EqualTo(1), "only normal pieces: the high one is not offered");
        Assert.That(next.Levels, Is.EqualTo(new PiecePriority?[] { PiecePriority.Normal }));
        Assert.That(swarm.Context.Level, Is.EqualTo(PiecePriority.Normal), "restored");
    }
}
