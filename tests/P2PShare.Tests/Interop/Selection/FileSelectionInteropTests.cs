using P2PShare.Metainfo;
using P2PShare.Storage;
using P2PShare.Tests.Support;

namespace P2PShare.Tests.Interop.Selection;

/// <summary>
/// 'download --select' from a libtorrent seeder of a multi-file torrent whose file boundaries fall inside pieces:
/// only the chosen files are created and they match; selecting another file later fetches only what is missing (the
/// piece it shares with the first selection comes out of the part file, not from the seeder).
/// </summary>
[TestFixture]
[Category("Interop")]
[CancelAfter(120_000)]
public sealed class FileSelectionInteropTests
{
    private const int PieceLength = 64 * 1024;

    [Test]
    public async Task SelectedFilesOnlyThenAnotherFileWithoutRefetchingSharedPieces(CancellationToken ct)
    {
        RequiredTool.EnsureLibtorrent();
        await using var work = new TempDirectory("p2pshare-select-");
        // Sizes chosen so that every boundary falls inside a piece.
        (string Path, long Size)[] files = [("a.bin", 300_001), ("sub/b.bin", 700_003), ("sub/c.bin", 500_007), ("d.bin", 1_048_581)];
        var root = TestData.CreateTree(work.Combine("seed", "pack"), files, seed: 19);
        var created = await LibtorrentTorrent.CreateAsync(root, work.Combine("pack.torrent"), PieceLength, cancellationToken: ct);
        await using var seeder = await LibtorrentPeer.StartSeedAsync(created.TorrentPath, work.Combine("seed"), o => o with { NoTrackers = true }, ct);
        var torrent = TorrentParser.Parse(await File.ReadAllBytesAsync(created.TorrentPath, ct));
        var number = torrent.Files.Where(f => !f.IsPadding).Select(f => f.DisplayPath).ToList();
        int Number(string path) => number.IndexOf(path) + 1;
        var output = work.CreateSubdirectory("out");
        var state = Path.Combine(output, ".p2pshare");

        // 1. Only b.
        var started = DateTime.UtcNow;
        await using (var first = P2PShareClient.StartDownload(work.Path, created.TorrentPath, output,
            "--peer", $"127.0.0.1:{seeder.Port}", "--no-seed", "--give-up-after", "30", "--select", Number("sub/b.bin").ToString()))
        {
            await first.WaitForSuccessAsync(TimeSpan.FromSeconds(40), ct);
            TestContext.Out.WriteLine($"--select b: {(DateTime.UtcNow - started).TotalSeconds:0.0} s");
        }
        AssertSame(root, output, "sub/b.bin");
        AssertAbsent(output, "a.bin", "sub/c.bin", "d.bin");
        var afterFirst = await LoadResumeAsync(state, torrent, ct);
        Assert.That(File.Exists(Path.Combine(state, torrent.InfoHash.Hex + ".parts")), Is.True, "the part file keeps the neighbours' bytes of b's edge pieces");
        Assert.That(afterFirst.PartPieces?.CountSet, Is.EqualTo(2), "b's first and last pieces are shared with a and c");

        // 2. b and c: c's edge piece shared with b is already here, in the part file.
        await using (var second = P2PShareClient.StartDownload(work.Path, created.TorrentPath, output,
            "--peer", $"127.0.0.1:{seeder.Port}", "--no-seed", "--give-up-after", "30", "--select", $"{Number("sub/b.bin")},{Number("sub/c.bin")}"))
        {
            await second.WaitForSuccessAsync(TimeSpan.FromSeconds(40), ct);
        }
        AssertSame(root, output, "sub/b.bin", "sub/c.bin");
        AssertAbsent(output, "a.bin", "d.bin");
        var afterSecond = await LoadResumeAsync(state, torrent, ct);
        var fetched = afterSecond.BytesDownloaded - afterFirst.BytesDownloaded;
        var cFile = torrent.Files.First(f => f.DisplayPath == "sub/c.bin");
        var cFirst = (int)(cFile.Offset / PieceLength);
        var cLast = (int)((cFile.EndOffset - 1) / PieceLength);
        long missing = 0;
        for (var p = cFirst + 1; p <= cLast; p++)
            missing += torrent.PieceSize(p);
        TestContext.Out.WriteLine($"second run fetched {fetched} bytes; pieces of c not shared with b: {missing} bytes");
        Assert.That(fetched, Is.EqualTo(missing), "only c's pieces not already had (the shared one came from the part file)");
    }

    private static async Task<ResumeData> LoadResumeAsync(string state, Torrent torrent, CancellationToken ct)
    {
        var loaded = await new ResumeStore(state).LoadAsync(torrent.InfoHash, ct);
        Assert.That(loaded.Data, Is.Not.Null, loaded.Reason);
        return loaded.Data!;
    }

    private static void AssertSame(string root, string output, params string[] paths)
    {
        foreach (var path in paths)
            Assert.That(TestData.Sha256File(Path.Combine(output, "pack", path)), Is.EqualTo(TestData.Sha256File(Path.Combine(root, path))), path);
    }

    private static void AssertAbsent(string output, params string[] paths)
    {
        foreach (var path in paths)
            Assert.That(File.Exists(Path.Combine(output, "pack", path)), Is.False, $"{path} was not selected and must not be created");
    }
}
