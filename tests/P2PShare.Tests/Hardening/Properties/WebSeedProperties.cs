using System.Net;
using System.Text;
using FsCheck;
using FsCheck.Fluent;
using P2PShare.Metainfo;
using P2PShare.Networking.WebSeeds;

namespace P2PShare.Tests.Hardening.Properties;

/// <summary>
/// FsCheck on the web seed side: the ranges of a piece cover it exactly, in order, each inside its file (any file
/// layout: empty files, pad files, pieces spanning many files); an answer is accepted exactly when it is the range asked
/// for, and refused with <see cref="WebSeedException"/> (nothing else) otherwise.
/// </summary>
[TestFixture]
public sealed class WebSeedProperties
{
    private static Torrent MultiFile(IReadOnlyList<(int Length, bool Pad)> files, int pieceLength)
    {
        var total = files.Sum(f => (long)f.Length);
        var pieces = (int)((total + pieceLength - 1) / pieceLength);
        var list = new StringBuilder();
        for (var i = 0; i < files.Count; i++)
        {
            var (length, pad) = files[i];
            var name = pad ? $"p{i}" : $"f{i}";
            var path = pad ? $"l4:.pad{name.Length}:{name}e" : $"l{name.Length}:{name}e";
            list.Append(pad ? $"d4:attr1:p6:lengthi{length}e4:path{path}e" : $"d6:lengthi{length}e4:path{path}e");
        }
        byte[] bytes = [.. Encoding.ASCII.GetBytes($"d4:infod5:filesl{list}e4:name4:root12:piece lengthi{pieceLength}e6:pieces{pieces * 20}:"), .. new byte[pieces * 20], .. "ee"u8];
        return TorrentParser.Parse(bytes);
    }

    private static readonly Gen<(int, bool)[]> Layout =
        Gen.Choose(1, 8).SelectMany(count => Gen.ArrayOf(Gen.Zip(Gen.Frequency((1, Gen.Constant(0)), (6, Gen.Choose(1, 5000))), Gen.Elements(false, false, false, true)), count))
            .Where(files => files.Sum(f => f.Item1) > 0 && files.Any(f => !f.Item2 && f.Item1 > 0) && files.Where(f => f.Item2).All(f => f.Item1 > 0));

    [Test]
    public void ThePiecesRangesCoverItExactlyInOrderInsideTheirFiles() => PropertyCheck.ForAll(Gen.Zip(Layout, Gen.Elements(1024, 2048, 16384)), c =>
    {
        var (layout, pieceLength) = c;
        var torrent = MultiFile(layout, pieceLength);
        for (var piece = 0; piece < torrent.PieceCount; piece++)
        {
            var ranges = WebSeedRanges.ForPiece(torrent, piece);
            var covered = 0;
            foreach (var range in ranges)
            {
                var file = torrent.Files[range.FileIndex];
                Assert.That(range.PieceOffset, Is.EqualTo(covered), $"piece {piece}: ranges contiguous and in order");
                Assert.That(range.Length, Is.GreaterThan(0));
                Assert.That(range.FileOffset >= 0 && range.FileOffset + range.Length <= file.Length, $"piece {piece}: {range} inside its file of {file.Length}");
                Assert.That(file.Offset + range.FileOffset, Is.EqualTo(torrent.PieceOffset(piece) + range.PieceOffset), "the same bytes of the whole");
                Assert.That(range.IsPadding, Is.EqualTo(file.IsPadding));
                covered += range.Length;
            }
            Assert.That(covered, Is.EqualTo(torrent.PieceSize(piece)), $"piece {piece} covered exactly");
        }
        return true;
    });

    private enum Answer { Exact, ExactWithoutRange, ExactWithoutLength, ShiftedRange, WrongLength, WholeFile, OtherStatus }

    [Test]
    public void AnAnswerIsAcceptedExactlyWhenItIsTheRangeAskedFor() => PropertyCheck.ForAll(
        Generators.Zip(Gen.Choose(0, 3), Gen.Choose(1, 1 << 22), Gen.Elements(Enum.GetValues<Answer>()), Gen.Choose(1, 1000), Gen.Elements(100, 204, 301, 404, 416, 500, 0)),
        c =>
        {
            var (offsetKind, length, answer, shift, otherStatus) = c;
            long offset = offsetKind switch { 0 => 0, 1 => length, 2 => long.MaxValue / 4, _ => 12345 };
            var range = new WebSeedRange(0, offset, length, 0);
            var last = offset + length - 1;
            var (status, contentLength, from, to) = answer switch
            {
                Answer.Exact => (HttpStatusCode.PartialContent, (long?)length, (long?)offset, (long?)last),
                Answer.ExactWithoutRange => (HttpStatusCode.PartialContent, length, null, null),
                Answer.ExactWithoutLength => (HttpStatusCode.PartialContent, null, offset, last),
                Answer.ShiftedRange => (HttpStatusCode.PartialContent, length, offset + shift, last + shift),
                Answer.WrongLength => (HttpStatusCode.PartialContent, length + shift, offset, last),
                Answer.WholeFile => (HttpStatusCode.OK, length, null, null),
                _ => ((HttpStatusCode)otherStatus, length, offset, last),
            };
            var accepted = answer is Answer.Exact or Answer.ExactWithoutRange or Answer.ExactWithoutLength || (answer == Answer.WholeFile && offset == 0);
            var url = new Uri("http://127.0.0.1:9/f");
            if (accepted)
                Assert.DoesNotThrow(() => WebSeedAnswer.Check(url, range, status, "x", contentLength, from, to), $"{answer} at {offset}");
            else
                Assert.Throws<WebSeedException>(() => WebSeedAnswer.Check(url, range, status, "x", contentLength, from, to), $"{answer} at {offset}");
            return true;
        }, tests: 500);
}
