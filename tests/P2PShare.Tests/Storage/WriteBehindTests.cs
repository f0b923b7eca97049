using P2PShare.Storage;
using P2PShare.Tests.Support;

namespace P2PShare.Tests.Storage;

[TestFixture]
public sealed class WriteBehindTests
{
    private TempDirectory _temp = null!;

    [SetUp]
    public void SetUp() => _temp = new TempDirectory();

    [TearDown]
    public void TearDown() => _temp.Dispose();

    [Test]
    [CancelAfter(30_000)]
    public async Task Writing_past_the_threshold_flushes_the_file_in_the_background_and_keeps_the_data_intact()
    {
        const int pieceLength = 256 * 1024;
        var content = TestTorrents.RandomBytes(7, 16 * pieceLength);
        var (torrent, data) = TestTorrents.Single("big.bin", pieceLength, content);
        await using (var storage = new TorrentStorage(torrent, _temp.Path, new TorrentStorageOptions { WriteBehindBytes = 1024 * 1024 }))
        {
            for (var piece = 0; piece < torrent.PieceCount; piece++)
            {
                await storage.WritePieceAsync(piece, data.AsMemory((int)torrent.PieceOffset(piece), torrent.PieceSize(piece)), CancellationToken.None);
                // Each 1 MiB crossed while no flush runs starts one: wait for it so the next crossing starts its own.
                await storage.WriteBehind.Last;
            }
            // 4 MiB written to one file at a 1 MiB threshold: 4 flushes, all finished.
            Assert.That(storage.WriteBehind.Started, Is.EqualTo(4));
            Assert.That(storage.WriteBehind.Completed, Is.EqualTo(4));
            await storage.FlushAsync(CancellationToken.None);
        }
        Assert.That(File.ReadAllBytes(Path.Combine(_temp.Path, "big.bin")), SameBytes.As(content));
    }

    [Test]
    [CancelAfter(30_000)]
    public async Task Below_the_threshold_nothing_is_flushed_and_the_default_storage_waits_for_32_MiB()
    {
        var path = Path.Combine(_temp.Path, "f");
        using var handle = File.OpenHandle(path, FileMode.Create, FileAccess.ReadWrite);
        var writeBehind = new WriteBehind(1024 * 1024);
        writeBehind.OnWritten(0, handle, 512 * 1024);
        writeBehind.OnWritten(1, handle, 600 * 1024);
        Assert.That(writeBehind.Started, Is.Zero, "each file counts its own bytes");
        writeBehind.OnWritten(0, handle, 512 * 1024);
        await writeBehind.Last;
        Assert.That(writeBehind.Started, Is.EqualTo(1));
        Assert.That(TorrentStorageOptions.Default.WriteBehindBytes, Is.EqualTo(32 * 1024 * 1024));
    }

    [Test]
    public void A_threshold_of_zero_is_off()
    {
        var path = Path.Combine(_temp.Path, "f");
        using var handle = File.OpenHandle(path, FileMode.Create, FileAccess.ReadWrite);
        var writeBehind = new WriteBehind(0);
        writeBehind.OnWritten(0, handle, 1 << 20);
        Assert.That(writeBehind.Enabled, Is.False);
        Assert.That(writeBehind.Started, Is.Zero);
    }
}
