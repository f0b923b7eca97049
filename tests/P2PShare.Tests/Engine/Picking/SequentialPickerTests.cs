using P2PShare.Engine.Picking;
using P2PShare.Tests.Storage;

namespace P2PShare.Tests.Engine.Picking;

public class SequentialPickerTests
{
    private static List<int> Drain(FakeSwarm swarm, IPicker picker)
    {
        var order = new List<int>();
        for (var piece = swarm.Pick(picker, swarm.All()); piece >= 0; piece = swarm.Pick(picker, swarm.All()))
        {
            order.Add(piece);
            swarm.Busy[piece] = true;
        }
        return order;
    }

    [Test]
    public void Early_pieces_come_first_in_their_order_then_the_rest_in_index_order()
    {
        var swarm = new FakeSwarm(8);
        var picker = new SequentialPicker(new RecordingPicker()) { Enabled = true, EarlyPieces = [0, 7, 3] };
        Assert.That(Drain(swarm, picker), Is.EqualTo(new[] { 0, 7, 3, 1, 2, 4, 5, 6 }));
    }

    [Test]
    public void Pieces_we_have_are_busy_or_the_peer_lacks_are_passed_over()
    {
        var swarm = new FakeSwarm(6);
        swarm.WeHave[0] = true;
        swarm.WeHave[1] = true;
        swarm.Busy[3] = true;
        var picker = new SequentialPicker(new RecordingPicker()) { Enabled = true, EarlyPieces = [5, 0] };
        Assert.That(swarm.Pick(picker, FakeSwarm.Pieces(6, 0, 1, 2, 3, 4)), Is.EqualTo(2), "the peer lacks early piece 5; 0 and 1 are had");
        Assert.That(swarm.Pick(picker, swarm.All()), Is.EqualTo(5));
        swarm.Busy[2] = swarm.Busy[5] = true;
        Assert.That(swarm.Pick(picker, swarm.All()), Is.EqualTo(4));
        swarm.Busy[4] = true;
        Assert.That(swarm.Pick(picker, swarm.All()), Is.EqualTo(-1), "nothing left: no deferring to rarest-first while sequential");
        // A busy piece freed again (its download failed) is picked once more, although the walk had passed it.
        swarm.Busy[3] = false;
        Assert.That(swarm.Pick(picker, swarm.All()), Is.EqualTo(3));
    }

    [Test]
    public void Off_it_defers_to_the_next_picker()
    {
        var swarm = new FakeSwarm(4);
        var next = new RecordingPicker();
        var picker = new SequentialPicker(next) { EarlyPieces = [3] };
        Assert.That(swarm.Pick(picker, FakeSwarm.Pieces(4, 1, 3)), Is.EqualTo(1), "the recording picker's answer, not the early piece");
        Assert.That(next.Calls, Is.EqualTo(1));
        picker.Enabled = true;
        Assert.That(swarm.Pick(picker, FakeSwarm.Pieces(4, 1, 3)), Is.EqualTo(3));
        Assert.That(next.Calls, Is.EqualTo(1));
    }

    [Test]
    public void Edges_are_the_first_and_last_piece_of_each_wanted_file()
    {
        // 1 KiB pieces: a 2500-byte file (pieces 0-2), a 100-byte one inside piece 2, padding to 4096,
        // a 3000-byte one (pieces 4-6), an empty one, and a 900-byte one in piece 6-7.
        var (torrent, _) = TestTorrents.Build("edges", 1024,
            new TestFile("a.mkv", new byte[2500]),
            new TestFile("b.srt", new byte[100]),
            TestFile.Padding(0, 4096 - 2600),
            new TestFile("c.mkv", new byte[3000]),
            new TestFile("empty", []),
            new TestFile("d.nfo", new byte[900]));
        Assert.That(torrent.PieceCount, Is.EqualTo(8));
        Assert.That(SequentialPicker.EdgesOfFiles(torrent, null), Is.EqualTo(new[] { 0, 2, 4, 6, 7 }),
            "shared pieces once; padding and empty files have none");
        var onlyC = FilePriorities.All(torrent.Files.Count, FilePriority.Skip);
        onlyC[3] = FilePriority.Low;
        Assert.That(SequentialPicker.EdgesOfFiles(torrent, onlyC), Is.EqualTo(new[] { 4, 6 }), "skipped files have no early pieces");
    }

    [Test]
    public void Under_priorities_the_sequence_runs_within_each_level()
    {
        var swarm = new FakeSwarm(6);
        swarm.Priorities.Set(4, PiecePriority.High);
        swarm.Priorities.Set(5, PiecePriority.High);
        swarm.Priorities.Set(0, PiecePriority.Skip);
        var picker = new PriorityPicker(new SequentialPicker(new RecordingPicker()) { Enabled = true, EarlyPieces = [5] });
        Assert.That(Drain(swarm, picker), Is.EqualTo(new[] { 5, 4, 1, 2, 3 }));
    }
}
