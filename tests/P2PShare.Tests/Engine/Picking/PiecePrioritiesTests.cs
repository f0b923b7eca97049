using P2PShare.Engine.Picking;
using P2PShare.Metainfo;

namespace P2PShare.Tests.Engine.Picking;

public class PiecePrioritiesTests
{
    [Test]
    public void File_priorities_map_to_pieces_and_a_shared_piece_takes_the_highest()
    {
        // Pieces of 10 bytes: a.bin [0,25) pieces 0-2, b.bin [25,40) pieces 2-3, padding [40,50) piece 4, c.bin [50,60) piece 5, empty d.
        TorrentFile[] files =
        [
            new(["a.bin"], 25, 0),
            new(["b.bin"], 15, 25),
            new([".pad", "10"], 10, 40, IsPadding: true),
            new(["c.bin"], 10, 50),
            new(["d.bin"], 0, 60),
        ];
        var priorities = PiecePriorities.FromFiles(files, 10, 6,
            [PiecePriority.Skip, PiecePriority.High, PiecePriority.Normal, PiecePriority.Low, PiecePriority.High]);

        Assert.That(Enumerable.Range(0, 6).Select(p => priorities[p]), Is.EqualTo(new[]
        {
            PiecePriority.Skip, PiecePriority.Skip, PiecePriority.High, PiecePriority.High, PiecePriority.Skip, PiecePriority.Low,
        }));
        Assert.That(priorities.WantedCount, Is.EqualTo(3));
        Assert.That(priorities.CountAt(PiecePriority.High), Is.EqualTo(2));
        Assert.That(priorities.CountAt(PiecePriority.Normal), Is.Zero);
    }

    [Test]
    public void Wrong_inputs_are_refused()
    {
        TorrentFile[] files = [new(["a"], 10, 0)];
        Assert.Throws<ArgumentException>(() => PiecePriorities.FromFiles(files, 10, 1, []));
        Assert.Throws<ArgumentOutOfRangeException>(() => new PiecePriorities(1).Set(0, (PiecePriority)9));
    }
}
