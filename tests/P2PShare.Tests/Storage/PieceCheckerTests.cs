using P2PShare.Protocol;
using P2PShare.Storage;

namespace P2PShare.Tests.Storage;

[TestFixture]
public sealed class PieceCheckerTests
{
    private TempDirectory _temp = null!;

    [SetUp]
    public void SetUp() => _temp = new TempDirectory();

    [TearDown]
    public void TearDown() => _temp.Dispose();

    private static TestFile[] Files() =>
    [
        new("a.bin", TestTorrents.RandomBytes(21, 5000)),
        new("empty", []),
        TestFile.Padding(1, 120),
        new("sub/b.bin", TestTorrents.RandomBytes(22, 3333)),
        new("sub/c.bin", TestTorrents.RandomBytes(23, 9000)),
    ];

    [Test]
    public async Task CompleteMultiFileDataVerifiesEveryPiece()
    {
        var files = Files();
        var (torrent, _) = TestTorrents.Build("multi", 1024, files);
        TestTorrents.WriteContent(torrent, _temp.Path, files);
        var reports = new List<PieceCheckProgress>();
        var progress = new SynchronousProgress(reports);

        var verified = await PieceChecker.CheckAsync(torrent, _temp.Path, progress, CancellationToken.None);

        Assert.That(verified.IsComplete, Is.True);
        Assert.That(reports.Max(r => r.BytesChecked), Is.EqualTo(torrent.TotalLength));
    }

    [Test]
    public async Task DamagedAndMissingDataFailOnlyTheirPieces()
    {
        var files = Files();
        var (torrent, _) = TestTorrents.Build("multi", 1024, files);
        TestTorrents.WriteContent(torrent, _temp.Path, files);
        var root = Path.Combine(_temp.Path, "multi");
        // One flipped byte in a.bin at 3000 (piece 2); sub/b.bin deleted (torrent bytes 5120..8453: pieces 5..8).
        using (var stream = new FileStream(Path.Combine(root, "a.bin"), FileMode.Open))
        {
            stream.Position = 3000;
            stream.WriteByte((byte)(files[0].Content[3000] ^ 1));
        }
        File.Delete(Path.Combine(root, "sub", "b.bin"));

        var verified = await PieceChecker.CheckAsync(torrent, _temp.Path, null, CancellationToken.None);

        var bad = Enumerable.Range(0, torrent.PieceCount).Where(p => !verified[p]).ToArray();
        Assert.That(bad, Is.EqualTo(new[] { 2, 5, 6, 7, 8 }));
    }

    [Test]
    public async Task ASubsetCheckHashesOnlyThosePieces()
    {
        var files = Files();
        var (torrent, _) = TestTorrents.Build("multi", 1024, files);
        TestTorrents.WriteContent(torrent, _temp.Path, files);
        var root = Path.Combine(_temp.Path, "multi");
        File.WriteAllBytes(Path.Combine(root, "sub", "c.bin"), new byte[4000]); // truncated and zeroed

        var only = new Bitfield(torrent.PieceCount);
        foreach (var piece in new[] { 0, 4, 8, 9, 12, torrent.PieceCount - 1 })
            only[piece] = true;
        var reports = new List<PieceCheckProgress>();
        var verified = await PieceChecker.CheckAsync(torrent, _temp.Path, new SynchronousProgress(reports), CancellationToken.None, only);

        // c.bin starts at torrent byte 8453: piece 8 reads zeros where its data should be, later ones are past the end.
        Assert.That(verified.SetIndices(), Is.EqualTo(new[] { 0, 4 }));
        var subsetBytes = only.SetIndices().Sum(p => (long)torrent.PieceSize(p));
        Assert.That(reports.Max(r => r.BytesChecked), Is.EqualTo(subsetBytes));
        Assert.That(reports.All(r => r.BytesTotal == subsetBytes), Is.True);
    }

    [Test]
    public async Task NoDataAtAllVerifiesNothingWithoutFailing()
    {
        var (torrent, _) = TestTorrents.Build("multi", 1024, Files());
        var verified = await PieceChecker.CheckAsync(torrent, _temp.Path, null, CancellationToken.None);
        Assert.That(verified.IsEmpty, Is.True);
        Assert.That(Directory.EnumerateFileSystemEntries(_temp.Path), Is.Empty, "a check never creates files");
    }

    [Test]
    public async Task SingleFileTorrentVerifies()
    {
        var content = TestTorrents.RandomBytes(24, 70_000);
        var (torrent, _) = TestTorrents.Single("one.iso", 16384, content);
        File.WriteAllBytes(Path.Combine(_temp.Path, "one.iso"), content);
        Assert.That((await PieceChecker.CheckAsync(torrent, _temp.Path, null, CancellationToken.None)).IsComplete, Is.True);
    }

    [Test]
    public void CancellationStopsTheCheck()
    {
        var content = TestTorrents.RandomBytes(25, 1 << 20);
        var (torrent, _) = TestTorrents.Single("one.iso", 16384, content);
        File.WriteAllBytes(Path.Combine(_temp.Path, "one.iso"), content);
        using var cancel = new CancellationTokenSource();
        cancel.Cancel();
        Assert.That(async () => await PieceChecker.CheckAsync(torrent, _temp.Path, null, cancel.Token), Throws.InstanceOf<OperationCanceledException>());
    }

    /// <summary>Progress&lt;T&gt; posts asynchronously; tests need the reports in hand when the call returns.</summary>
    private sealed class SynchronousProgress(List<PieceCheckProgress> sink) : IProgress<PieceCheckProgress>
    {
        public void Report(PieceCheckProgress value)
        {
            lock (sink)
                sink.Add(value);
        }
    }
}
