using P2PShare.Networking.WebSeeds;

namespace P2PShare.Tests.WebSeeds;

public class WebSeedRangesTests
{
    [Test]
    public void SingleFilePieceIsOneRangeAndTheLastPieceIsShort()
    {
        var torrent = WebSeedUrlTests.Single(length: 40_000, pieceLength: 16384);
        Assert.Multiple(() =>
        {
            Assert.That(WebSeedRanges.ForPiece(torrent, 1), Is.EqualTo(new[] { new WebSeedRange(0, 16384, 16384, 0) }));
            Assert.That(WebSeedRanges.ForPiece(torrent, 2), Is.EqualTo(new[] { new WebSeedRange(0, 32768, 40_000 - 32768, 0) }));
            Assert.That(WebSeedRanges.ForPiece(torrent, 2)[0].HeaderValue, Is.EqualTo("bytes=32768-39999"));
        });
    }

    [Test]
    public void PieceSpanningFilesIsSplitAtTheirBoundariesSkippingEmptyFiles()
    {
        // 16 KiB pieces. Files: a 10000, empty 0, b 3000, c 20000 → piece 0 = a[0..10000) b[0..3000) c[0..3384).
        var torrent = WebSeedUrlTests.Multi("root", (["a"], 10_000), (["empty"], 0), (["b"], 3_000), (["c"], 20_000));
        Assert.That(WebSeedRanges.ForPiece(torrent, 0), Is.EqualTo(new[]
        {
            new WebSeedRange(0, 0, 10_000, 0),
            new WebSeedRange(2, 0, 3_000, 10_000),
            new WebSeedRange(3, 0, 16384 - 13_000, 13_000),
        }));
        Assert.That(WebSeedRanges.ForPiece(torrent, 1), Is.EqualTo(new[] { new WebSeedRange(3, 16384 - 13_000, 16384, 0) }));
        Assert.That(WebSeedRanges.ForPiece(torrent, 2), Is.EqualTo(new[] { new WebSeedRange(3, 2 * 16384 - 13_000, 33_000 - 2 * 16384, 0) }), "the short last piece");
    }

    [Test]
    public void RandomLayoutsAreCoveredExactlyOnceInOrder()
    {
        var random = new Random(5);
        for (var round = 0; round < 200; round++)
        {
            var files = Enumerable.Range(0, random.Next(1, 12))
                .Select(i => (new[] { $"f{i}" }, (long)(random.Next(4) == 0 ? 0 : random.Next(1, 50_000)))).ToArray();
            if (files.Sum(f => f.Item2) == 0)
                files[0].Item2 = 1;
            var torrent = WebSeedUrlTests.Multi("root", files);
            for (var piece = 0; piece < torrent.PieceCount; piece++)
            {
                var ranges = WebSeedRanges.ForPiece(torrent, piece);
                var expectedOffset = 0;
                foreach (var range in ranges)
                {
                    var file = torrent.Files[range.FileIndex];
                    Assert.That(range.PieceOffset, Is.EqualTo(expectedOffset), $"round {round} piece {piece}: contiguous");
                    Assert.That(range.Length, Is.GreaterThan(0));
                    Assert.That(file.Offset + range.FileOffset, Is.EqualTo(torrent.PieceOffset(piece) + range.PieceOffset), "the torrent byte it maps to");
                    Assert.That(range.FileOffset + range.Length, Is.LessThanOrEqualTo(file.Length), "inside its file");
                    expectedOffset += range.Length;
                }
                Assert.That(expectedOffset, Is.EqualTo(torrent.PieceSize(piece)), $"round {round} piece {piece}: whole piece");
            }
        }
    }
}
