using P2PShare.Storage;
using P2PShare.Tests.Support;

namespace P2PShare.Tests.Storage;

/// <summary>The disk workers' synchronous write (TorrentStorage.TryWritePiece): same bytes in the same places as the asynchronous one.</summary>
[TestFixture]
public sealed class DirectWriteTests
{
    private TempDirectory _temp = null!;

    [SetUp]
    public void SetUp() => _temp = new TempDirectory();

    [TearDown]
    public void TearDown() => _temp.Dispose();

    private static TestFile[] Files() =>
    [
        new("a.bin", TestTorrents.RandomBytes(11, 10_000)),
        new("empty.txt", []),
        TestFile.Padding(1, 240),
        new("sub/b.bin", TestTorrents.RandomBytes(12, 3_000)),
        new("c.bin", TestTorrents.RandomBytes(13, 5_555)),
    ];

    [Test]
    public async Task Pieces_written_in_place_across_file_boundaries_land_in_the_right_files_and_are_flushed()
    {
        var files = Files();
        var (torrent, data) = TestTorrents.Build("direct", 1024, files);
        await using (var storage = new TorrentStorage(torrent, _temp.Path))
        {
            // The first write creates the torrent's empty files: that one goes the asynchronous way.
            Assert.That(storage.TryWritePiece(0, data.AsSpan(0, torrent.PieceSize(0)), CancellationToken.None), Is.False);
            await storage.WritePieceAsync(0, data.AsMemory(0, torrent.PieceSize(0)), CancellationToken.None);
            for (var piece = torrent.PieceCount - 1; piece > 0; piece--)
            {
                var written = storage.TryWritePiece(piece, data.AsSpan((int)torrent.PieceOffset(piece), torrent.PieceSize(piece)), CancellationToken.None);
                Assert.That(written, Is.True, $"piece {piece}");
            }
            await storage.FlushAsync(CancellationToken.None);
            var back = new byte[torrent.PieceSize(3)];
            await storage.ReadAsync(3, 0, back, CancellationToken.None);
            Assert.That(back, SameBytes.As(data.AsSpan((int)torrent.PieceOffset(3), back.Length).ToArray()));
        }
        var root = Path.Combine(_temp.Path, "direct");
        foreach (var file in files.Where(f => !f.IsPadding))
            Assert.That(File.ReadAllBytes(Path.Combine([root, .. file.Path.Split('/')])), SameBytes.As(file.Content), file.Path);
        Assert.That(Directory.Exists(Path.Combine(root, ".pad")), Is.False, "padding never touches disk");
    }

    [Test]
    public async Task Consecutive_pieces_written_together_land_in_the_right_files_around_padding_and_empty_files()
    {
        var files = Files();
        var (torrent, data) = TestTorrents.Build("together", 1024, files);
        await using (var storage = new TorrentStorage(torrent, _temp.Path))
        {
            Assert.That(storage.TryWritePieces(0, [data.AsMemory(0, torrent.PieceSize(0))], CancellationToken.None), Is.False,
                "the first write creates the empty files: the asynchronous way");
            await storage.WritePieceAsync(0, data.AsMemory(0, torrent.PieceSize(0)), CancellationToken.None);
            // Two runs, the second first: pieces 9 to the end, then 1 to 8 (every file boundary and the padding inside them).
            ReadOnlyMemory<byte> Piece(int i) => data.AsMemory((int)torrent.PieceOffset(i), torrent.PieceSize(i));
            var last = torrent.PieceCount - 1;
            Assert.That(storage.TryWritePieces(9, [.. Enumerable.Range(9, last - 8).Select(Piece)], CancellationToken.None), Is.True);
            Assert.That(storage.TryWritePieces(1, [.. Enumerable.Range(1, 8).Select(Piece)], CancellationToken.None), Is.True);
            Assert.Throws<ArgumentException>(() => storage.TryWritePieces(1, [data.AsMemory(0, 10)], CancellationToken.None));
            Assert.Throws<ArgumentOutOfRangeException>(() => storage.TryWritePieces(last, [Piece(last), Piece(last)], CancellationToken.None));
            Assert.That(storage.UnflushedFileCount, Is.GreaterThan(0));
        }
        var root = Path.Combine(_temp.Path, "together");
        foreach (var file in files.Where(f => !f.IsPadding))
            Assert.That(File.ReadAllBytes(Path.Combine([root, .. file.Path.Split('/')])), SameBytes.As(file.Content), file.Path);
        Assert.That(Directory.Exists(Path.Combine(root, ".pad")), Is.False, "padding never touches disk");
    }

    [Test]
    public async Task A_wrong_size_is_refused_and_a_file_selection_keeps_the_asynchronous_path()
    {
        var (torrent, data) = TestTorrents.Build("selected", 1024, Files());
        await using var storage = new TorrentStorage(torrent, _temp.Path);
        await storage.WritePieceAsync(0, data.AsMemory(0, torrent.PieceSize(0)), CancellationToken.None);
        Assert.Throws<ArgumentException>(() => storage.TryWritePiece(1, data.AsSpan(0, 10), CancellationToken.None));

        var wanted = torrent.Files.Select((f, i) => i != 3).ToArray();
        await storage.ApplySelectionAsync(wanted, Path.Combine(_temp.Path, "selected.parts"), new P2PShare.Protocol.Bitfield(torrent.PieceCount), null, CancellationToken.None);
        Assert.That(storage.TryWritePiece(1, data.AsSpan((int)torrent.PieceOffset(1), torrent.PieceSize(1)), CancellationToken.None), Is.False);
    }
}
