using P2PShare.Protocol;
using P2PShare.Storage;
using P2PShare.Tests.Support;

namespace P2PShare.Tests.Storage;

/// <summary>
/// The part file of a file selection: bytes of skipped files in pieces shared with wanted files are kept there (not in the
/// skipped file, which is never created), survive a restart through the resume data's part-piece set, and move into the
/// file when it is selected later, so nothing is downloaded twice.
/// </summary>
[TestFixture]
public sealed class PartFileTests
{
    private const int PieceLength = 1024;
    private TempDirectory _temp = null!;

    [SetUp]
    public void SetUp() => _temp = new TempDirectory();

    [TearDown]
    public void TearDown() => _temp.Dispose();

    // a.bin is pieces 0-2, b.bin pieces 2-5: piece 2 holds a.bin's last 952 bytes and b.bin's first 72.
    private static readonly TestFile[] Files = [new("a.bin", TestTorrents.RandomBytes(1, 3000)), new("b.bin", TestTorrents.RandomBytes(2, 3000))];

    private static Bitfield Pieces(int count, params int[] set)
    {
        var bits = new Bitfield(count);
        foreach (var i in set)
            bits[i] = true;
        return bits;
    }

    [Test]
    public async Task Bytes_of_a_skipped_file_in_a_straddling_piece_go_to_the_part_file_and_into_the_file_when_it_is_selected_later()
    {
        var (torrent, data) = TestTorrents.Build("pair", PieceLength, Files);
        Assert.That(torrent.PieceCount, Is.EqualTo(6));
        var part = Path.Combine(_temp.Path, "state", "pair.parts");
        Directory.CreateDirectory(Path.GetDirectoryName(part)!);
        var root = Path.Combine(_temp.Path, "pair");
        var piece2 = data.AsMemory(2 * PieceLength, PieceLength);

        Bitfield parked;
        await using (var storage = new TorrentStorage(torrent, _temp.Path))
        {
            await storage.ApplySelectionAsync([true, false], part, Pieces(6), null, CancellationToken.None);
            for (var p = 0; p <= 2; p++)
                await storage.WritePieceAsync(p, data.AsMemory(p * PieceLength, torrent.PieceSize(p)), CancellationToken.None);
            await storage.FlushAsync(CancellationToken.None);

            Assert.That(File.ReadAllBytes(Path.Combine(root, "a.bin")), SameBytes.As(Files[0].Content));
            Assert.That(File.Exists(Path.Combine(root, "b.bin")), Is.False, "a skipped file is not created");
            parked = storage.PartPieces();
            Assert.That(parked.SetIndices(), Is.EqualTo(new[] { 2 }));
            // At the bytes' offset in the torrent's data: b.bin starts at 3000.
            var inPart = new byte[72];
            await using (var file = File.OpenRead(part))
            {
                file.Position = 3000;
                await file.ReadExactlyAsync(inPart);
            }
            Assert.That(inPart, SameBytes.As(Files[1].Content[..72]), "b.bin's first 72 bytes are in the part file");
            Assert.That(await ReadPieceAsync(storage, 2), Is.EqualTo(piece2.ToArray()), "the whole piece reads back (it can be seeded)");
        }

        // A restart: the resume data's part pieces say where piece 2's bytes of b.bin are.
        await using (var storage = new TorrentStorage(torrent, _temp.Path))
        {
            await storage.ApplySelectionAsync([true, false], part, Pieces(6, 0, 1, 2), parked, CancellationToken.None);
            Assert.That(storage.PartPieces().SetIndices(), Is.EqualTo(new[] { 2 }));
            Assert.That(await ReadPieceAsync(storage, 2), Is.EqualTo(piece2.ToArray()));

            // b.bin is selected: its bytes move out of the part file with no download.
            await storage.ApplySelectionAsync([true, true], part, Pieces(6, 0, 1, 2), null, CancellationToken.None);
            await storage.FlushAsync(CancellationToken.None);
            Assert.That(storage.PartPieces().IsEmpty, Is.True);
            var b = File.ReadAllBytes(Path.Combine(root, "b.bin"));
            Assert.That(b, Has.Length.EqualTo(3000), "created at full size");
            Assert.That(b[..72], SameBytes.As(Files[1].Content[..72]), "restored from the part file");
            Assert.That(await ReadPieceAsync(storage, 2), Is.EqualTo(piece2.ToArray()));

            // The rest of b.bin downloads; the file is then whole.
            for (var p = 3; p < 6; p++)
                await storage.WritePieceAsync(p, data.AsMemory(p * PieceLength, torrent.PieceSize(p)), CancellationToken.None);
            await storage.FlushAsync(CancellationToken.None);
        }
        Assert.That(File.ReadAllBytes(Path.Combine(root, "b.bin")), SameBytes.As(Files[1].Content));
    }

    [Test]
    public async Task A_file_skipped_after_it_was_written_keeps_its_bytes_of_shared_pieces_readable()
    {
        var (torrent, data) = TestTorrents.Build("pair", PieceLength, Files);
        var part = Path.Combine(_temp.Path, "pair.parts");
        await using var storage = new TorrentStorage(torrent, _temp.Path);
        await storage.ApplySelectionAsync([true, true], part, Pieces(6), null, CancellationToken.None);
        for (var p = 0; p < 6; p++)
            await storage.WritePieceAsync(p, data.AsMemory(p * PieceLength, torrent.PieceSize(p)), CancellationToken.None);
        // b.bin unselected: piece 2 (still wanted for a.bin) must stay readable whole.
        await storage.ApplySelectionAsync([true, false], part, Pieces(6, 0, 1, 2, 3, 4, 5), null, CancellationToken.None);
        Assert.That(await ReadPieceAsync(storage, 2), Is.EqualTo(data.AsMemory(2 * PieceLength, PieceLength).ToArray()));
        Assert.That(storage.IsFileWanted(1), Is.False);
    }

    private static async Task<byte[]> ReadPieceAsync(TorrentStorage storage, int piece)
    {
        var buffer = new byte[storage.Torrent.PieceSize(piece)];
        await storage.ReadAsync(piece, 0, buffer, CancellationToken.None);
        return buffer;
    }
}
