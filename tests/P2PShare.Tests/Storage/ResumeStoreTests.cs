using System.Security.Cryptography;
using P2PShare.Bencode;
using P2PShare.Metainfo;
using P2PShare.Protocol;
using P2PShare.Storage;

namespace P2PShare.Tests.Storage;

[TestFixture]
public sealed class ResumeStoreTests
{
    private TempDirectory _temp = null!;
    private Torrent _torrent = null!;
    private TestFile[] _files = null!;

    [SetUp]
    public void SetUp()
    {
        _temp = new TempDirectory();
        _files = [new("a", TestTorrents.RandomBytes(31, 3000)), new("b/c", TestTorrents.RandomBytes(32, 1500))];
        (_torrent, _) = TestTorrents.Build("res", 512, _files);
        TestTorrents.WriteContent(_torrent, _temp.Path, _files);
    }

    [TearDown]
    public void TearDown() => _temp.Dispose();

    private ResumeData Sample()
    {
        var pieces = new Bitfield(_torrent.PieceCount);
        pieces[0] = pieces[3] = pieces[_torrent.PieceCount - 1] = true;
        return ResumeData.Capture(_torrent, _temp.Path, pieces, ["127.0.0.1:6881", "[::1]:51413"], 123_456_789_012, 42);
    }

    [Test]
    public async Task SavedDataLoadsBackIdentical()
    {
        var store = ResumeStore.ForDownloadDirectory(_temp.Path);
        var saved = Sample();
        await store.SaveAsync(saved, CancellationToken.None);

        Assert.That(store.PathFor(_torrent.InfoHash), Is.EqualTo(Path.Combine(_temp.Path, ".p2pshare", _torrent.InfoHash.Hex + ".resume")));
        var loaded = await store.LoadAsync(_torrent.InfoHash, CancellationToken.None);

        Assert.That(loaded.Status, Is.EqualTo(ResumeLoadStatus.Loaded), loaded.Reason);
        var data = loaded.Data!;
        Assert.That(data.InfoHash, Is.EqualTo(saved.InfoHash));
        Assert.That(data.VerifiedPieces.SetIndices(), Is.EqualTo(saved.VerifiedPieces.SetIndices()));
        Assert.That(data.Files, Is.EqualTo(saved.Files));
        Assert.That(data.Files.Select(f => f.Path), Is.EqualTo(new[] { "a", "b/c" }));
        Assert.That(data.Files[0].Length, Is.EqualTo(3000));
        Assert.That(data.Files[0].LastWriteTicksUtc, Is.EqualTo(File.GetLastWriteTimeUtc(Path.Combine(_temp.Path, "res", "a")).Ticks));
        Assert.That(data.Peers, Is.EqualTo(saved.Peers));
        Assert.That((data.BytesDownloaded, data.BytesUploaded), Is.EqualTo((123_456_789_012L, 42L)));
    }

    [Test]
    public async Task SavingAgainReplacesTheFileAndLeavesNoTempFile()
    {
        var store = new ResumeStore(Path.Combine(_temp.Path, "state", "deeper"));
        await store.SaveAsync(Sample(), CancellationToken.None);
        var second = Sample() with { BytesUploaded = 999 };
        await store.SaveAsync(second, CancellationToken.None);

        Assert.That(Directory.GetFiles(store.StateDirectory).Select(Path.GetFileName).Order(),
            Is.EqualTo(new[] { _torrent.InfoHash.Hex + ".resume", _torrent.InfoHash.Hex + ".resume.reserve" }), "the resume file and its reserved space");
        Assert.That((await store.LoadAsync(_torrent.InfoHash, CancellationToken.None)).Data!.BytesUploaded, Is.EqualTo(999));
    }

    [Test]
    public async Task ACrashMidSaveLeavesThePreviousVersion()
    {
        var store = ResumeStore.ForDownloadDirectory(_temp.Path);
        await store.SaveAsync(Sample(), CancellationToken.None);
        // What a crash between "write temp" and "rename" leaves behind: a partial temp file next to the good one.
        var path = store.PathFor(_torrent.InfoHash);
        var leftover = path + ".deadbeef.tmp";
        File.WriteAllBytes(leftover, File.ReadAllBytes(path).AsSpan(0, 20).ToArray());

        var loaded = await store.LoadAsync(_torrent.InfoHash, CancellationToken.None);
        Assert.That(loaded.Status, Is.EqualTo(ResumeLoadStatus.Loaded), "the temp file is never read as resume data");

        await store.SaveAsync(Sample(), CancellationToken.None);
        Assert.That(File.Exists(leftover), Is.False, "the next save cleans it up");
    }

    [Test]
    public async Task ConcurrentSavesNeverProduceABrokenFile()
    {
        var store = ResumeStore.ForDownloadDirectory(_temp.Path);
        await Parallel.ForEachAsync(Enumerable.Range(0, 20), async (i, ct) =>
        {
            await store.SaveAsync(Sample() with { BytesUploaded = i }, ct);
            var loaded = await store.LoadAsync(_torrent.InfoHash, ct);
            Assert.That(loaded.Status, Is.EqualTo(ResumeLoadStatus.Loaded), loaded.Reason);
        });
    }

    [Test]
    public async Task NoFileMeansNoResumeData()
    {
        var loaded = await ResumeStore.ForDownloadDirectory(_temp.Path).LoadAsync(_torrent.InfoHash, CancellationToken.None);
        Assert.That((loaded.Status, loaded.Reason), Is.EqualTo((ResumeLoadStatus.Missing, "no resume data")));
    }

    [TestCase(-1, TestName = "Truncated by one byte")]
    [TestCase(-200, TestName = "Truncated in the middle")]
    [TestCase(0, TestName = "Emptied")]
    public async Task TruncatedFilesAreDamaged(int keep)
    {
        var (store, path) = await SavedAsync();
        var bytes = File.ReadAllBytes(path);
        File.WriteAllBytes(path, bytes.AsSpan(0, keep == 0 ? 0 : bytes.Length + keep).ToArray());

        var loaded = await store.LoadAsync(_torrent.InfoHash, CancellationToken.None);
        Assert.That(loaded.Status, Is.EqualTo(ResumeLoadStatus.Damaged));
        Assert.That(loaded.Reason, Does.StartWith("resume data damaged: "));
    }

    [Test]
    public async Task AFlippedByteInThePayloadIsAChecksumMismatch()
    {
        var (store, path) = await SavedAsync();
        var bytes = File.ReadAllBytes(path);
        // Flip a bit in the bitfield bytes: still valid bencode, only the checksum can tell.
        var marker = "6:pieces"u8.ToArray();
        var at = bytes.AsSpan().IndexOf(marker) + marker.Length;
        var colon = Array.IndexOf(bytes, (byte)':', at);
        bytes[colon + 1] ^= 0x01;
        File.WriteAllBytes(path, bytes);

        var loaded = await store.LoadAsync(_torrent.InfoHash, CancellationToken.None);
        Assert.That((loaded.Status, loaded.Reason), Is.EqualTo((ResumeLoadStatus.Damaged, "resume data damaged: checksum mismatch")));
    }

    [Test]
    public async Task GarbageIsDamaged()
    {
        var (store, path) = await SavedAsync();
        File.WriteAllBytes(path, TestTorrents.RandomBytes(33, 500));
        var loaded = await store.LoadAsync(_torrent.InfoHash, CancellationToken.None);
        Assert.That(loaded.Status, Is.EqualTo(ResumeLoadStatus.Damaged));
        Assert.That(loaded.Reason, Does.StartWith("resume data damaged: not valid bencode"));
    }

    [Test]
    public async Task AnotherTorrentsResumeDataIsForeign()
    {
        var (store, path) = await SavedAsync();
        var (other, _) = TestTorrents.Build("other", 512, new TestFile("x", new byte[700]));
        File.Copy(path, store.PathFor(other.InfoHash));

        var loaded = await store.LoadAsync(other.InfoHash, CancellationToken.None);
        Assert.That(loaded.Status, Is.EqualTo(ResumeLoadStatus.ForeignTorrent));
        Assert.That(loaded.Reason, Does.StartWith("resume data is for another torrent"));
    }

    [Test]
    public async Task AnOldFormatVersionIsReportedAsSuch()
    {
        var (store, path) = await SavedAsync();
        var payload = BencodeEncoder.Encode(new BDictionary { ["info-hash"] = new BString(_torrent.InfoHash.Memory) });
        var old = new BDictionary
        {
            ["version"] = new BInteger(0),
            ["payload"] = new BString(payload),
            ["checksum"] = new BString(SHA1.HashData(payload)),
        };
        File.WriteAllBytes(path, BencodeEncoder.Encode(old));

        var loaded = await store.LoadAsync(_torrent.InfoHash, CancellationToken.None);
        Assert.That((loaded.Status, loaded.Reason),
            Is.EqualTo((ResumeLoadStatus.WrongVersion, "resume data has format version 0, expected 1")));
    }

    [Test]
    public async Task AWellFormedButInconsistentPayloadIsDamaged()
    {
        var (store, path) = await SavedAsync();
        var payload = BencodeEncoder.Encode(new BDictionary
        {
            ["version"] = new BInteger(1),
            ["info-hash"] = new BString(_torrent.InfoHash.Memory),
            ["piece-count"] = new BInteger(1_000),
            ["pieces"] = new BString(new byte[3]),
        });
        File.WriteAllBytes(path, BencodeEncoder.Encode(new BDictionary
        {
            ["version"] = new BInteger(1),
            ["payload"] = new BString(payload),
            ["checksum"] = new BString(SHA1.HashData(payload)),
        }));
        var loaded = await store.LoadAsync(_torrent.InfoHash, CancellationToken.None);
        Assert.That((loaded.Status, loaded.Reason),
            Is.EqualTo((ResumeLoadStatus.Damaged, "resume data damaged: piece bitfield does not match the piece count")));
    }

    [Test]
    public async Task AnUnwritableStateDirectoryIsAClearError()
    {
        var blocked = Path.Combine(_temp.Path, "not-a-dir");
        File.WriteAllText(blocked, "a file where the state directory should be");
        var store = new ResumeStore(Path.Combine(blocked, "state"));
        var error = Assert.ThrowsAsync<IOException>(async () => await store.SaveAsync(Sample(), CancellationToken.None));
        Assert.That(error!.Message, Does.Contain(store.PathFor(_torrent.InfoHash)));
    }

    private async Task<(ResumeStore Store, string Path)> SavedAsync()
    {
        var store = ResumeStore.ForDownloadDirectory(_temp.Path);
        await store.SaveAsync(Sample(), CancellationToken.None);
        return (store, store.PathFor(_torrent.InfoHash));
    }

    [Test]
    public async Task OnAFullDiskTheSaveUsesTheReservedSpace()
    {
        var target = Path.Combine(_temp.Path, "small-disk");
        using var mount = TmpfsMount.TryMount(target, "size=512k", out var whyNot);
        if (mount is null)
            Assert.Ignore($"cannot simulate a full disk: {whyNot}");
        var store = new ResumeStore(Path.Combine(target, "state"));
        Assert.That(store.TryReserve(_torrent.InfoHash, 0), Is.True);
        Assert.That(new FileInfo(store.ReservePathFor(_torrent.InfoHash)).Length, Is.EqualTo(ResumeStore.MinimumReserveBytes));
        // Fill what is left.
        await using (var filler = new FileStream(Path.Combine(target, "filler"), FileMode.Create))
        {
            var chunk = new byte[4096];
            try
            {
                while (true)
                    filler.Write(chunk);
            }
            catch (IOException)
            {
            }
        }
        await store.SaveAsync(Sample(), CancellationToken.None);
        var loaded = await store.LoadAsync(_torrent.InfoHash, CancellationToken.None);
        Assert.That(loaded.Status, Is.EqualTo(ResumeLoadStatus.Loaded), loaded.Reason);
        Assert.That(loaded.Data!.VerifiedPieces.SetIndices(), Is.EqualTo(Sample().VerifiedPieces.SetIndices()));
    }
}
