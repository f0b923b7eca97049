using P2PShare.Engine.Native;

namespace P2PShare.Tests.Hybrid;

/// <summary>Native pieces over torrent pieces: both are byte ranges of one file (docs/hybrid-node.md).</summary>
public sealed class NativePieceMapTests
{
    [Test]
    public void Torrent_pieces_larger_than_native_ones_cover_a_run_of_native_pieces()
    {
        // 256 KiB torrent pieces, 64 KiB native pieces, a file ending inside the third torrent piece.
        var map = new NativePieceMap(2 * 262144 + 70000, 262144, 65536);
        Assert.That(map.TorrentCount, Is.EqualTo(3));
        Assert.That(map.NativeCount, Is.EqualTo(10));
        Assert.That(map.NativeRange(0), Is.EqualTo((0, 3)));
        Assert.That(map.NativeRange(2), Is.EqualTo((8, 9)));
        Assert.That(map.NativeLength(9), Is.EqualTo(70000 - 65536));
        Assert.That(map.TorrentRange(5), Is.EqualTo((1, 1)));
        Assert.That(map.Overlap(5, 1), Is.EqualTo((0, 65536, 65536)));
        Assert.That(map.Overlap(9, 2), Is.EqualTo((0, 65536, 70000 - 65536)));
        Assert.That(map.Overlap(5, 0).Length, Is.Zero);
    }

    [Test]
    public void A_native_piece_larger_than_torrent_pieces_spans_several_of_them()
    {
        // 16 KiB torrent pieces: one native piece holds four of them.
        var map = new NativePieceMap(100_000, 16384, 65536);
        Assert.That(map.TorrentRange(0), Is.EqualTo((0, 3)));
        Assert.That(map.TorrentRange(1), Is.EqualTo((4, 6)));
        Assert.That(map.NativeRange(5), Is.EqualTo((1, 1)));
        Assert.That(map.Overlap(1, 5), Is.EqualTo((16384, 0, 16384)));
        Assert.That(map.Overlap(1, 6), Is.EqualTo((32768, 0, 100_000 - 6 * 16384)));
    }

    [Test]
    public void Piece_sizes_that_do_not_divide_each_other_split_at_byte_boundaries()
    {
        // 48 KiB torrent pieces under 64 KiB native ones: torrent piece 1 (48K..96K) spans native pieces 0 and 1.
        var map = new NativePieceMap(300_000, 49152, 65536);
        Assert.That(map.NativeRange(1), Is.EqualTo((0, 1)));
        Assert.That(map.Overlap(0, 1), Is.EqualTo((49152, 0, 16384)));
        Assert.That(map.Overlap(1, 1), Is.EqualTo((0, 16384, 32768)));
        // Every byte of the file is in exactly one overlap of each native piece with the torrent pieces under it.
        for (var n = 0; n < map.NativeCount; n++)
        {
            var (first, last) = map.TorrentRange(n);
            var covered = Enumerable.Range(first, last - first + 1).Sum(p => map.Overlap(n, p).Length);
            Assert.That(covered, Is.EqualTo(map.NativeLength(n)), $"native piece {n}");
        }
    }
}
