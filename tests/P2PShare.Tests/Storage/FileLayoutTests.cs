using P2PShare.Storage;

namespace P2PShare.Tests.Storage;

[TestFixture]
public sealed class FileLayoutTests
{
    [Test]
    public void PieceSpanningThreeFilesMapsToThreeSegments()
    {
        // Files of 10, 3 and 20 bytes, pieces of 8: piece 1 covers bytes 8..15 = a[8..10) b[0..3) c[0..3).
        var (torrent, _) = TestTorrents.Build("t", 8,
            new TestFile("a", new byte[10]), new TestFile("b", new byte[3]), new TestFile("c", new byte[20]));
        var layout = new FileLayout(torrent);

        Assert.That(layout.MapPiece(1), Is.EqualTo(new[]
        {
            new FileSegment(0, 8, 2, 0, false),
            new FileSegment(1, 0, 3, 2, false),
            new FileSegment(2, 0, 3, 5, false),
        }));
        Assert.That(layout.MapPiece(4), Is.EqualTo(new[] { new FileSegment(2, 19, 1, 0, false) }), "last, short piece");
        Assert.That(layout.MapPiece(1, 3, 4), Is.EqualTo(new[]
        {
            new FileSegment(1, 1, 2, 0, false),
            new FileSegment(2, 0, 2, 2, false),
        }), "a block inside a piece");
    }

    [Test]
    public void EverySegmentListCoversTheRangeExactlyOnce()
    {
        var (torrent, _) = TestTorrents.Build("t", 7,
            new TestFile("a", new byte[5]), new TestFile("e1", []), new TestFile("b", new byte[9]),
            new TestFile("e2", []), new TestFile("e3", []), new TestFile("c", new byte[1]), new TestFile("d", new byte[13]));
        var layout = new FileLayout(torrent);
        for (long offset = 0; offset < torrent.TotalLength; offset++)
        {
            for (var length = 0; offset + length <= torrent.TotalLength; length++)
            {
                var segments = layout.Map(offset, length);
                Assert.That(segments.Sum(s => s.Length), Is.EqualTo(length));
                var expectedRangeOffset = 0;
                foreach (var segment in segments)
                {
                    var file = torrent.Files[segment.FileIndex];
                    Assert.That(segment.RangeOffset, Is.EqualTo(expectedRangeOffset));
                    Assert.That(file.Offset + segment.FileOffset, Is.EqualTo(offset + segment.RangeOffset), "torrent position");
                    Assert.That(segment.FileOffset + segment.Length, Is.LessThanOrEqualTo(file.Length));
                    Assert.That(file.Length, Is.GreaterThan(0), "zero-length files hold no bytes");
                    expectedRangeOffset += segment.Length;
                }
            }
        }
    }

    [Test]
    public void PaddingSegmentsAreFlagged()
    {
        var (torrent, _) = TestTorrents.Build("t", 8,
            new TestFile("a", new byte[5]), TestFile.Padding(0, 3), new TestFile("b", new byte[8]));
        var segments = new FileLayout(torrent).MapPiece(0);
        Assert.That(segments.Select(s => (s.FileIndex, s.IsPadding)), Is.EqualTo(new[] { (0, false), (1, true) }));
    }

    [Test]
    public void PiecesOfFileIncludesPartialPiecesAndNoneForEmptyFiles()
    {
        var (torrent, _) = TestTorrents.Build("t", 4,
            new TestFile("a", new byte[5]), new TestFile("empty", []), new TestFile("b", new byte[6]));
        var layout = new FileLayout(torrent);
        Assert.That(layout.PiecesOfFile(0), Is.EqualTo((0, 2)));
        Assert.That(layout.PiecesOfFile(1).Count, Is.Zero);
        Assert.That(layout.PiecesOfFile(2), Is.EqualTo((1, 2)));
    }

    [Test]
    public void RangesPastTheEndAreRefused()
    {
        var (torrent, _) = TestTorrents.Build("t", 4, new TestFile("a", new byte[6]));
        var layout = new FileLayout(torrent);
        Assert.Throws<ArgumentOutOfRangeException>(() => layout.Map(5, 2));
        Assert.Throws<ArgumentOutOfRangeException>(() => layout.MapPiece(1, 1, 2));
    }
}
