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
    public async Task Writing_a_file_starts_its_writeback_every_threshold_and_keeps_the_data_intact()
    {
        if (!OperatingSystem.IsLinux())
            Assert.Ignore("sync_file_range is Linux's");
        const int pieceLength = 1024 * 1024;
        var content = TestTorrents.RandomBytes(7, 10 * pieceLength);
        var (torrent, data) = TestTorrents.Single("big.bin", pieceLength, content);
        await using (var storage = new TorrentStorage(torrent, _temp.Path))
        {
            for (var piece = 0; piece < torrent.PieceCount; piece++)
                await storage.WritePieceAsync(piece, data.AsMemory((int)torrent.PieceOffset(piece), torrent.PieceSize(piece)), CancellationToken.None);
            // 10 MiB written to one file at a 4 MiB threshold: started at 4 and 8 MiB.
            Assert.That(storage.WriteBehind.Enabled, Is.True);
            Assert.That(storage.WriteBehind.Started, Is.EqualTo(10 * pieceLength / WriteBehind.DefaultThresholdBytes));
            await storage.FlushAsync(CancellationToken.None);
        }
        Assert.That(File.ReadAllBytes(Path.Combine(_temp.Path, "big.bin")), SameBytes.As(content));
    }

    [Test]
    public void Below_the_threshold_nothing_is_started()
    {
        var path = Path.Combine(_temp.Path, "f");
        using var handle = File.OpenHandle(path, FileMode.Create, FileAccess.ReadWrite);
        var writeBehind = new WriteBehind(1024 * 1024);
        RandomAccess.Write(handle, new byte[512 * 1024], 0);
        writeBehind.OnWritten(0, handle, 512 * 1024);
        Assert.That(writeBehind.Started, Is.Zero);
        RandomAccess.Write(handle, new byte[512 * 1024], 512 * 1024);
        writeBehind.OnWritten(0, handle, 512 * 1024);
        Assert.That(writeBehind.Started, Is.EqualTo(OperatingSystem.IsLinux() ? 1 : 0));
    }

    [Test]
    public void A_file_the_call_does_not_apply_to_turns_it_off_without_an_error()
    {
        if (!OperatingSystem.IsLinux())
            Assert.Ignore("sync_file_range is Linux's");
        // A character device: sync_file_range answers ESPIPE.
        using var handle = File.OpenHandle("/dev/null", FileMode.Open, FileAccess.Write);
        var writeBehind = new WriteBehind(16);
        Assert.That(() => writeBehind.OnWritten(0, handle, 64), Throws.Nothing);
        Assert.That(writeBehind.Enabled, Is.False);
        Assert.That(writeBehind.Started, Is.Zero);
    }

    [Test]
    public void A_threshold_of_zero_is_off()
    {
        Assert.That(new WriteBehind(0).Enabled, Is.False);
    }
}
