using P2PShare.Protocol;
using P2PShare.Storage;

namespace P2PShare.Tests.Storage;

/// <summary>Resume data saved without an fsync (ResumeData.UnsyncedPieces): trusted in its boot, hashed again after another.</summary>
[TestFixture]
public sealed class UnsyncedPiecesTests
{
    private TempDirectory _temp = null!;

    [SetUp]
    public void SetUp() => _temp = new TempDirectory();

    [TearDown]
    public void TearDown() => _temp.Dispose();

    [Test]
    public async Task Unsynced_pieces_are_trusted_in_their_boot_and_hashed_again_after_another()
    {
        var files = new[] { new TestFile("a", TestTorrents.RandomBytes(81, 5000)), new TestFile("b", TestTorrents.RandomBytes(82, 3000)) };
        var (torrent, data) = TestTorrents.Build("u", 1000, files);
        var store = ResumeStore.ForDownloadDirectory(_temp.Path);
        await using (var storage = new TorrentStorage(torrent, _temp.Path))
            for (var piece = 0; piece < torrent.PieceCount; piece++)
                await storage.WritePieceAsync(piece, data.AsMemory((int)torrent.PieceOffset(piece), torrent.PieceSize(piece)), CancellationToken.None);
        var verified = new Bitfield(torrent.PieceCount);
        verified.SetAll();
        var unsynced = new Bitfield(torrent.PieceCount);
        unsynced[2] = unsynced[6] = true;
        await store.SaveAsync(ResumeData.Capture(torrent, _temp.Path, verified) with { UnsyncedPieces = unsynced, BootId = "boot-a" }, CancellationToken.None);
        // Piece 6's write did not survive (old bytes on disk, size and time unchanged); piece 2's did.
        var b = Path.Combine(_temp.Path, "u", "b");
        var time = File.GetLastWriteTimeUtc(b);
        using (var handle = File.OpenHandle(b, FileMode.Open, FileAccess.Write))
            RandomAccess.Write(handle, new byte[100], 1000);
        File.SetLastWriteTimeUtc(b, time);
        var loaded = await store.LoadAsync(torrent.InfoHash, CancellationToken.None);

        var sameBoot = ResumeValidator.Decide(torrent, _temp.Path, loaded, "boot-a");
        Assert.That(sameBoot.Trusted.IsComplete, Is.True, "in the same boot the page cache holds what was written");
        Assert.That(sameBoot.NeedsCheck, Is.False);

        var otherBoot = ResumeValidator.Decide(torrent, _temp.Path, loaded, "boot-b");
        Assert.That(otherBoot.Trusted.SetIndices(), Is.EqualTo(new[] { 0, 1, 3, 4, 5, 7 }));
        Assert.That(otherBoot.ToCheck.SetIndices(), Is.EqualTo(new[] { 2, 6 }));
        Assert.That(otherBoot.Summary, Is.EqualTo("2 piece(s) were saved before they reached the disk and the system has restarted since"));

        var noBoot = ResumeValidator.Decide(torrent, _temp.Path, loaded, null);
        Assert.That(noBoot.ToCheck.SetIndices(), Is.EqualTo(new[] { 2, 6 }), "a system that cannot say which boot it is in cannot trust them");

        // The saved boot is not this one: start-up hashes the two again and keeps the one that survived.
        await store.SaveAsync(loaded.Data! with { BootId = "not-" + BootIdentity.Current }, CancellationToken.None);
        var result = await StartupCheck.RunAsync(torrent, _temp.Path, store, null, CancellationToken.None);
        Assert.That(result.Verified.SetIndices(), Is.EqualTo(new[] { 0, 1, 2, 3, 4, 5, 7 }));
    }

    [Test]
    public void Pieces_saved_unsynced_or_found_by_hashing_are_not_known_to_be_on_disk()
    {
        static Bitfield Of(params int[] pieces)
        {
            var bits = new Bitfield(8);
            foreach (var piece in pieces)
                bits[piece] = true;
            return bits;
        }
        // Resume data claimed 0-3 (2 saved unsynced, same boot: trusted); 5 and 6 were found by hashing.
        var resume = new ResumeData(new P2PShare.Metainfo.InfoHash(new byte[20]), Of(0, 1, 2, 3), [], [], 0, 0, UnsyncedPieces: Of(2), BootId: "b");
        var result = new StartupResult(Of(0, 1, 2, 3, 5, 6), new ResumeDecision(Of(0, 1, 2, 3), Of(5, 6, 7), []), resume);

        Assert.That(result.NotKnownDurable().SetIndices(), Is.EqualTo(new[] { 2, 5, 6 }));
        Assert.That(new StartupResult(Of(4), new ResumeDecision(Of(), Of(4), []), null).NotKnownDurable().SetIndices(), Is.EqualTo(new[] { 4 }),
            "without resume data every piece found is only known to hash right");
    }

    [Test]
    public void Except_clears_the_other_bitfields_bits_and_keeps_the_count()
    {
        var random = new Random(5);
        foreach (var length in new[] { 1, 7, 8, 9, 77 })
        {
            var a = new Bitfield(length);
            var b = new Bitfield(length);
            for (var i = 0; i < length; i++)
                (a[i], b[i]) = (random.Next(2) == 0, random.Next(2) == 0);
            var difference = a.Except(b);
            Assert.That(difference.SetIndices(), Is.EqualTo(Enumerable.Range(0, length).Where(i => a[i] && !b[i])));
            Assert.That(difference.CountSet, Is.EqualTo(difference.SetIndices().Count()));
        }
        Assert.Throws<ArgumentException>(() => new Bitfield(8).Except(new Bitfield(9)));
    }

    [Test]
    public void This_machine_names_its_boot()
    {
        if (!OperatingSystem.IsLinux())
            Assert.Ignore("boot identity is read from Linux's /proc");
        Assert.That(BootIdentity.Current, Is.EqualTo(File.ReadAllText("/proc/sys/kernel/random/boot_id").Trim()));
    }

    [Test]
    public async Task Files_of_pieces_an_earlier_run_left_unsynced_are_fsynced_by_the_next_flush()
    {
        var files = new[] { new TestFile("a", TestTorrents.RandomBytes(83, 2000)), new TestFile("b", TestTorrents.RandomBytes(84, 2000)) };
        var (torrent, data) = TestTorrents.Build("m", 1000, files);
        TestTorrents.WriteContent(torrent, _temp.Path, files);
        await using var storage = new TorrentStorage(torrent, _temp.Path);
        Assert.That(storage.UnflushedFileCount, Is.Zero);
        var pieces = new Bitfield(torrent.PieceCount);
        pieces[3] = true;

        storage.MarkUnflushed(pieces);

        Assert.That(storage.UnflushedFileCount, Is.EqualTo(1), "piece 3 lies in file b only");
        await storage.FlushAsync(CancellationToken.None);
        Assert.That(storage.UnflushedFileCount, Is.Zero);
    }
}
