using P2PShare.Engine.Picking;
using P2PShare.Tests.Support;

namespace P2PShare.Tests.Engine.Picking;

public class DeadlinePickerTests
{
    [Test]
    public void Pieces_with_a_deadline_come_first_earliest_first_whenever_the_deadline_was_set()
    {
        var time = new ManualTimeProvider();
        var swarm = new FakeSwarm(10);
        var next = new RecordingPicker();
        var picker = new DeadlinePicker(time, next);
        picker.SetDeadline(7, TimeSpan.FromSeconds(10));
        time.Advance(TimeSpan.FromSeconds(8));
        // Due 2 s after piece 7's deadline only if measured from when each was set: due at 8+4 = 12 > 10.
        picker.SetDeadline(5, TimeSpan.FromSeconds(4));
        picker.SetDeadline(6, TimeSpan.FromSeconds(1));

        var order = new List<int>();
        for (var i = 0; i < 3; i++)
        {
            var piece = swarm.Pick(picker, swarm.All());
            order.Add(piece);
            swarm.Busy[piece] = true;
        }
        Assert.That(order, Is.EqualTo(new[] { 6, 7, 5 }));
        Assert.That(next.Calls, Is.Zero);
        Assert.That(swarm.Pick(picker, swarm.All()), Is.EqualTo(0), "no deadline left: the next picker decides");
        Assert.That(next.Calls, Is.EqualTo(1));
    }

    [Test]
    public void Equal_deadlines_go_in_piece_order_so_a_stream_is_fetched_in_order()
    {
        var swarm = new FakeSwarm(10);
        var picker = new DeadlinePicker(new ManualTimeProvider(), new RecordingPicker());
        foreach (var piece in new[] { 9, 4, 6, 5 })
            picker.SetDeadline(piece, TimeSpan.FromSeconds(3));
        var order = new List<int>();
        for (var i = 0; i < 4; i++)
        {
            var piece = swarm.Pick(picker, swarm.All());
            order.Add(piece);
            swarm.Busy[piece] = true;
        }
        Assert.That(order, Is.EqualTo(new[] { 4, 5, 6, 9 }));
    }

    [Test]
    public void A_deadline_piece_the_peer_lacks_is_passed_over_and_one_we_have_loses_its_deadline()
    {
        var time = new ManualTimeProvider();
        var swarm = new FakeSwarm(5);
        var picker = new DeadlinePicker(time, new RecordingPicker());
        picker.SetDeadline(1, TimeSpan.FromSeconds(1));
        picker.SetDeadline(2, TimeSpan.FromSeconds(2));
        picker.SetDeadline(3, TimeSpan.FromSeconds(3));
        swarm.WeHave[2] = true;

        Assert.That(swarm.Pick(picker, FakeSwarm.Pieces(5, 2, 3, 4)), Is.EqualTo(3));
        Assert.That(picker.Count, Is.EqualTo(2));
        Assert.That(picker.TimeLeft(2), Is.Null);
        time.Advance(TimeSpan.FromSeconds(5));
        Assert.That(picker.TimeLeft(1), Is.EqualTo(TimeSpan.FromSeconds(-4)), "overdue");
        picker.ClearDeadline(1);
        Assert.That(picker.Count, Is.EqualTo(1));
    }

    [Test]
    public void Overlapping_windows_of_two_readers_each_keep_their_deadlines_and_a_piece_is_due_at_the_earlier()
    {
        var time = new ManualTimeProvider();
        var swarm = new FakeSwarm(10);
        var picker = new DeadlinePicker(time, new RecordingPicker());
        object first = new(), seek = new();
        // A player's first request has a window over pieces 0-6; its next request (a seek) sets one over 5-9 before the
        // first request's reader has dropped its window.
        for (var piece = 0; piece <= 6; piece++)
            picker.SetDeadline(piece, TimeSpan.FromSeconds(1 + piece), first);
        time.Advance(TimeSpan.FromSeconds(2));
        for (var piece = 5; piece <= 9; piece++)
            picker.SetDeadline(piece, TimeSpan.FromSeconds(0.5 + (piece - 5)), seek);
        Assert.That(picker.TimeLeft(5), Is.EqualTo(TimeSpan.FromSeconds(0.5)), "due at the earlier of the two");
        Assert.That(picker.TimeLeft(6), Is.EqualTo(TimeSpan.FromSeconds(1.5)));

        // The first reader goes away: its window goes, the seek's stays whole (pieces 5 and 6 included).
        for (var piece = 0; piece <= 6; piece++)
            picker.ClearDeadline(piece, first);
        Assert.That(picker.Count, Is.EqualTo(5));
        Assert.That(Enumerable.Range(5, 5).Select(picker.HasDeadline), Is.All.True);
        Assert.That(picker.TimeLeft(6), Is.EqualTo(TimeSpan.FromSeconds(1.5)));
        Assert.That(swarm.Pick(picker, swarm.All()), Is.EqualTo(5), "the seek's first piece comes first");

        // Setting again replaces only the same owner's deadline; clearing without an owner drops them all.
        picker.SetDeadline(7, TimeSpan.FromSeconds(9), seek);
        Assert.That(picker.TimeLeft(7), Is.EqualTo(TimeSpan.FromSeconds(9)));
        picker.SetDeadline(7, TimeSpan.FromSeconds(1), first);
        Assert.That(picker.TimeLeft(7), Is.EqualTo(TimeSpan.FromSeconds(1)));
        picker.ClearDeadline(7);
        Assert.That(picker.HasDeadline(7), Is.False);
        picker.ClearDeadline(7, seek);
        Assert.That(picker.Count, Is.EqualTo(4));
    }
}
