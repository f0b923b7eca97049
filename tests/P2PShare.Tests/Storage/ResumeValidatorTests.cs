using P2PShare.Metainfo;
using P2PShare.Protocol;
using P2PShare.Storage;

namespace P2PShare.Tests.Storage;

[TestFixture]
public sealed class ResumeValidatorTests
{
    // Pieces of 1000 bytes over: a (0..4500: pieces 0-4), b/c (4500..6000: pieces 4-5), d (6000..9999: pieces 6-9).
    private TempDirectory _temp = null!;
    private TestFile[] _files = null!;
    private Torrent _torrent = null!;
    private ResumeStore _store = null!;

    [SetUp]
    public void SetUp()
    {
        _temp = new TempDirectory();
        _files =
        [
            new("a", TestTorrents.RandomBytes(41, 4500)),
            new("b/c", TestTorrents.RandomBytes(42, 1500)),
            new("zero", []),
            new("d", TestTorrents.RandomBytes(43, 3999)),
        ];
        (_torrent, _) = TestTorrents.Build("val", 1000, _files);
        _store = ResumeStore.ForDownloadDirectory(_temp.Path);
    }

    [TearDown]
    public void TearDown() => _temp.Dispose();

    private string PathOf(string file) => Path.Combine([_temp.Path, "val", .. file.Split('/')]);

    private static int[] Set(Bitfield bits) => [.. bits.SetIndices()];

    /// <summary>A finished download: all content on disk, checked, flushed, resume data saved.</summary>
    private async Task<ResumeDecision> SeedAndReloadAsync(Action? betweenRuns = null)
    {
        TestTorrents.WriteContent(_torrent, _temp.Path, _files);
        var verified = await PieceChecker.CheckAsync(_torrent, _temp.Path, null, CancellationToken.None);
        Assert.That(verified.IsComplete, Is.True);
        await _store.SaveAsync(ResumeData.Capture(_torrent, _temp.Path, verified), CancellationToken.None);
        betweenRuns?.Invoke();
        return ResumeValidator.Decide(_torrent, _temp.Path, await _store.LoadAsync(_torrent.InfoHash, CancellationToken.None));
    }

    [Test]
    public async Task IntactResumeDataOfAFinishedDownloadSeedsAtOnce()
    {
        var decision = await SeedAndReloadAsync();
        Assert.That(decision.CanSeedNow, Is.True);
        Assert.That(decision.NeedsCheck, Is.False);
        Assert.That(decision.Reasons, Is.Empty);
        Assert.That(decision.Summary, Is.EqualTo("resume data intact"));
    }

    [Test]
    public async Task APartialDownloadIsTrustedAsSavedWithoutHashing()
    {
        var files = _files;
        var (torrent, data) = (_torrent, files.SelectMany(f => f.Content).ToArray());
        await using (var storage = new TorrentStorage(torrent, _temp.Path))
        {
            foreach (var piece in new[] { 1, 4, 9 })
                await storage.WritePieceAsync(piece, data.AsMemory((int)torrent.PieceOffset(piece), torrent.PieceSize(piece)), CancellationToken.None);
            await storage.FlushAsync(CancellationToken.None);
        }
        var verified = new Bitfield(torrent.PieceCount);
        verified[1] = verified[4] = verified[9] = true;
        await _store.SaveAsync(ResumeData.Capture(torrent, _temp.Path, verified), CancellationToken.None);

        var decision = ResumeValidator.Decide(torrent, _temp.Path, await _store.LoadAsync(torrent.InfoHash, CancellationToken.None));
        Assert.That(Set(decision.Trusted), Is.EqualTo(new[] { 1, 4, 9 }));
        Assert.That(decision.NeedsCheck, Is.False);
        Assert.That(decision.CanSeedNow, Is.False);
    }

    [Test]
    public async Task AModifiedAndTouchedFileIsRecheckedAndTheBadPieceFound()
    {
        var decision = await SeedAndReloadAsync(() =>
        {
            var path = PathOf("d");
            var mtime = File.GetLastWriteTimeUtc(path);
            using (var stream = new FileStream(path, FileMode.Open))
            {
                stream.Position = 2500; // torrent byte 8500: piece 8
                stream.WriteByte((byte)(_files[3].Content[2500] ^ 0xFF));
            }
            File.SetLastWriteTimeUtc(path, mtime.AddSeconds(5));
        });

        Assert.That(decision.Reasons, Is.EqualTo(new[] { "file d changed time since last run" }));
        Assert.That(Set(decision.ToCheck), Is.EqualTo(new[] { 6, 7, 8, 9 }));
        Assert.That(Set(decision.Trusted), Is.EqualTo(new[] { 0, 1, 2, 3, 4, 5 }));

        var rechecked = await PieceChecker.CheckAsync(_torrent, _temp.Path, null, CancellationToken.None, decision.ToCheck);
        Assert.That(Set(rechecked), Is.EqualTo(new[] { 6, 7, 9 }));
    }

    [Test]
    public async Task ATruncatedFileRechecksWhatRemainsAndDropsTheRest()
    {
        var decision = await SeedAndReloadAsync(() =>
        {
            using var stream = new FileStream(PathOf("a"), FileMode.Open);
            stream.SetLength(2100); // pieces 0 and 1 still whole; 2 partly gone; 3, 4 gone
        });

        Assert.That(decision.Reasons, Is.EqualTo(new[] { "file a was truncated since last run (4500 -> 2100 bytes)" }));
        Assert.That(Set(decision.ToCheck), Is.EqualTo(new[] { 0, 1 }));
        Assert.That(Set(decision.Trusted), Is.EqualTo(new[] { 5, 6, 7, 8, 9 }));
        var rechecked = await PieceChecker.CheckAsync(_torrent, _temp.Path, null, CancellationToken.None, decision.ToCheck);
        Assert.That(Set(rechecked), Is.EqualTo(new[] { 0, 1 }));
    }

    [Test]
    public async Task ADeletedFileLosesItsPiecesAndNothingElse()
    {
        var decision = await SeedAndReloadAsync(() => File.Delete(PathOf("b/c")));

        Assert.That(decision.Reasons, Is.EqualTo(new[] { "file b/c is missing" }));
        Assert.That(Set(decision.Trusted), Is.EqualTo(new[] { 0, 1, 2, 3, 6, 7, 8, 9 }));
        Assert.That(decision.NeedsCheck, Is.False, "pieces 4 and 5 lie partly over the missing file: nothing to hash");
    }

    [Test]
    public async Task AGrownFileIsRechecked()
    {
        var decision = await SeedAndReloadAsync(() => File.AppendAllText(PathOf("b/c"), "extra"));
        Assert.That(decision.Reasons, Is.EqualTo(new[] { "file b/c changed size since last run (1500 -> 1505 bytes)" }));
        Assert.That(Set(decision.ToCheck), Is.EqualTo(new[] { 4, 5 }));
    }

    [Test]
    public async Task ADeletedEmptyFileChangesNoPieces()
    {
        var decision = await SeedAndReloadAsync(() => File.Delete(PathOf("zero")));
        Assert.That(decision.Reasons, Is.EqualTo(new[] { "file zero is missing" }));
        Assert.That(decision.CanSeedNow, Is.True);
        Assert.That(decision.NeedsCheck, Is.False);
    }

    [Test]
    public async Task DamagedResumeDataRechecksEverythingOnDisk()
    {
        var decision = await SeedAndReloadAsync(() =>
        {
            var path = _store.PathFor(_torrent.InfoHash);
            var bytes = File.ReadAllBytes(path);
            bytes[^30] ^= 0x20;
            File.WriteAllBytes(path, bytes);
        });
        Assert.That(decision.Reasons.Single(), Does.StartWith("resume data damaged"));
        Assert.That(decision.Trusted.IsEmpty, Is.True);
        Assert.That(decision.ToCheck.IsComplete, Is.True);
    }

    [Test]
    public void ResumeDataOfAnotherTorrentRechecksEverything()
    {
        TestTorrents.WriteContent(_torrent, _temp.Path, _files);
        var (other, _) = TestTorrents.Build("val", 1000, new TestFile("a", new byte[4500]));
        var foreign = ResumeData.Capture(other, _temp.Path, new Bitfield(other.PieceCount));

        var decision = ResumeValidator.Decide(_torrent, _temp.Path, ResumeLoadResult.Loaded(foreign));
        Assert.That(decision.Reasons.Single(), Does.StartWith("resume data is for another torrent"));
        Assert.That(decision.ToCheck.IsComplete, Is.True);
        Assert.That(decision.Trusted.IsEmpty, Is.True);
    }

    [Test]
    public void AnOldFormatRechecksEverything()
    {
        TestTorrents.WriteContent(_torrent, _temp.Path, _files);
        var loaded = new ResumeLoadResult(ResumeLoadStatus.WrongVersion, null, "resume data has format version 0, expected 1");
        var decision = ResumeValidator.Decide(_torrent, _temp.Path, loaded);
        Assert.That(decision.Reasons, Is.EqualTo(new[] { "resume data has format version 0, expected 1" }));
        Assert.That(decision.ToCheck.IsComplete, Is.True);
    }

    [Test]
    public void WithoutResumeDataOnlyPiecesWithDataOnDiskAreChecked()
    {
        Directory.CreateDirectory(Path.GetDirectoryName(PathOf("d"))!);
        File.WriteAllBytes(PathOf("d"), _files[3].Content);

        var decision = ResumeValidator.Decide(_torrent, _temp.Path, ResumeLoadResult.Missing);
        Assert.That(decision.Reasons, Is.EqualTo(new[] { "no resume data" }));
        Assert.That(Set(decision.ToCheck), Is.EqualTo(new[] { 6, 7, 8, 9 }));
        Assert.That(decision.Trusted.IsEmpty, Is.True);
    }

    [Test]
    public void AFirstStartWithNothingOnDiskChecksNothing()
    {
        var decision = ResumeValidator.Decide(_torrent, _temp.Path, ResumeLoadResult.Missing);
        Assert.That(decision.NeedsCheck, Is.False);
        Assert.That(decision.Trusted.IsEmpty, Is.True);
    }
}

[TestFixture]
public sealed class StartupCheckTests
{
    [Test]
    public async Task ARestartAfterAnUnsavedWriteRecoversThePieceByRecheckingItsFile()
    {
        using var temp = new TempDirectory();
        var files = new[] { new TestFile("a", TestTorrents.RandomBytes(61, 3000)), new TestFile("b", TestTorrents.RandomBytes(62, 3000)) };
        var (torrent, data) = TestTorrents.Build("s", 1000, files);
        var store = ResumeStore.ForDownloadDirectory(temp.Path);
        ReadOnlyMemory<byte> Piece(int index) => data.AsMemory((int)torrent.PieceOffset(index), torrent.PieceSize(index));

        await using (var storage = new TorrentStorage(torrent, temp.Path))
        {
            await storage.WritePieceAsync(0, Piece(0), CancellationToken.None);
            await storage.WritePieceAsync(4, Piece(4), CancellationToken.None);
            await storage.FlushAsync(CancellationToken.None);
            var saved = new P2PShare.Protocol.Bitfield(torrent.PieceCount);
            saved[0] = saved[4] = true;
            await store.SaveAsync(ResumeData.Capture(torrent, temp.Path, saved, ["10.0.0.1:6881"], 2000, 0), CancellationToken.None);
            // Written after the last save, then the process "dies": the bitfield does not claim piece 5.
            await storage.WritePieceAsync(5, Piece(5), CancellationToken.None);
            // The write moved b's time on; pinned further ahead so a coarse file-system clock cannot hide it.
            File.SetLastWriteTimeUtc(Path.Combine(temp.Path, "s", "b"), DateTime.UtcNow.AddSeconds(2));
        }

        var result = await StartupCheck.RunAsync(torrent, temp.Path, store, null, CancellationToken.None);
        Assert.That(result.Decision.Reasons, Is.EqualTo(new[] { "file b changed time since last run" }));
        Assert.That(result.Verified.SetIndices(), Is.EqualTo(new[] { 0, 4, 5 }));
        Assert.That(result.Resume!.Peers, Is.EqualTo(new[] { "10.0.0.1:6881" }));
    }
}
