using System.Text.Json;
using P2PShare.Tests.Cli;
using P2PShare.Tests.Support;

namespace P2PShare.Tests.Interop.Foundation;

/// <summary>Our torrent reading and writing agree with libtorrent and transmission on real and generated torrents.</summary>
[TestFixture]
[Category("Interop")]
[NonParallelizable]
public sealed class FoundationInteropTests
{
    private TempDirectory _temp = null!;

    [SetUp]
    public void SetUp() => _temp = new TempDirectory("p2pshare-foundation-interop-");

    [TearDown]
    public void TearDown() => _temp.Dispose();

    private static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(TestContext.CurrentContext.TestDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "P2PShare.sln")))
                return dir.FullName;
        }
        throw new InvalidOperationException("cannot find the repository root (P2PShare.sln) above the test directory");
    }

    public static IEnumerable<TestCaseData> SampleTorrents()
    {
        var files = Directory.GetFiles(Path.Combine(RepositoryRoot(), "torrents"), "*.torrent").Order(StringComparer.Ordinal).ToList();
        if (files.Count == 0)
            throw new InvalidOperationException("torrents/ has no .torrent files");
        return files.Select(f => new TestCaseData(f).SetName($"SampleTorrentMatchesReferences({Path.GetFileName(f)})"));
    }

    /// <summary>Our 'info --json' as facts; file paths as libtorrent and transmission print them (with the root for multi-file).</summary>
    private async Task<TorrentFacts> OurInfoAsync(string torrentPath)
    {
        var result = await CliRunner.RunAsync(_temp.Path, "info", torrentPath, "--json");
        Assert.That(result.ExitCode, Is.EqualTo(0), result.Stderr);
        var json = JsonDocument.Parse(result.Stdout).RootElement;
        var name = json.GetProperty("name").GetString()!;
        var multi = json.GetProperty("multiFile").GetBoolean();
        var files = json.GetProperty("files").EnumerateArray()
            .Where(f => !f.GetProperty("padding").GetBoolean())
            .Select(f => multi ? name + "/" + f.GetProperty("path").GetString() : f.GetProperty("path").GetString()!)
            .ToList();
        return new TorrentFacts(json.GetProperty("infoHash").GetString()!, json.GetProperty("pieceCount").GetInt32(), files,
            json.GetProperty("totalSize").GetInt64());
    }

    private static void AssertSameFacts(TorrentFacts ours, TorrentFacts reference, string who)
    {
        Assert.Multiple(() =>
        {
            Assert.That(ours.InfoHash, Is.EqualTo(reference.InfoHash), $"info-hash vs {who}");
            Assert.That(ours.PieceCount, Is.EqualTo(reference.PieceCount), $"piece count vs {who}");
            Assert.That(ours.Files, Is.EqualTo(reference.Files), $"files vs {who}");
            if (reference.TotalSize is { } total)
                Assert.That(ours.TotalSize, Is.EqualTo(total), $"total size vs {who}");
        });
    }

    [TestCaseSource(nameof(SampleTorrents))]
    public async Task SampleTorrentMatchesReferences(string torrentPath)
    {
        var ours = await OurInfoAsync(torrentPath);
        AssertSameFacts(ours, await ReferenceTools.LibtorrentReadAsync(torrentPath), "libtorrent");
        AssertSameFacts(ours, await ReferenceTools.TransmissionShowAsync(torrentPath), "transmission-show");
    }

    private static IEnumerable<TestCaseData> CreatedLayouts()
    {
        TestCaseData Case(string name, int? pieceKiB, params (string Path, long Size)[] files) =>
            new TestCaseData(files, pieceKiB).SetName($"OurTorrentIsAcceptedByReferences({name})");

        yield return Case("single 1 byte", null, ("one.bin", 1));
        yield return Case("single piece+1", 16, ("p1.bin", 16385));
        yield return Case("single exact pieces", 16, ("exact.bin", 3 * 16384));
        yield return Case("single odd size auto piece", null, ("odd.bin", 5_000_003));
        yield return Case("multi-file spanning pieces", 16, ("dir/a.bin", 10_000), ("dir/b/c.bin", 30_001), ("dir/d.txt", 7));
        yield return Case("multi-file with empty file", 16, ("dir/a.bin", 20_000), ("dir/empty.txt", 0), ("dir/z.bin", 5));
        yield return Case("multi-file one byte each", 16, ("dir/1", 1), ("dir/2", 1), ("dir/3", 1));
    }

    [TestCaseSource(nameof(CreatedLayouts))]
    public async Task OurTorrentIsAcceptedByReferences((string Path, long Size)[] files, int? pieceKiB)
    {
        var data = _temp.CreateSubdirectory("data");
        var seed = 1;
        foreach (var (path, size) in files)
            TestData.CreateFile(Path.Combine(data, path), size, seed++);
        var top = files[0].Path.Split('/')[0];
        var source = Path.Combine(data, top);
        var output = _temp.Combine("made.torrent");
        List<string> args = ["create", source, "-o", output, "-t", "http://127.0.0.1:1/announce", "--comment", "interop"];
        if (pieceKiB is { } kib)
            args.AddRange(["--piece-size", kib.ToString(System.Globalization.CultureInfo.InvariantCulture)]);

        var created = await CliRunner.RunAsync(_temp.Path, [.. args]);
        Assert.That(created.ExitCode, Is.EqualTo(0), created.Stderr);

        var ours = await OurInfoAsync(output);
        var expectedFiles = files.Select(f => f.Path).Order(StringComparer.Ordinal).ToList();
        Assert.That(ours.Files, Is.EqualTo(expectedFiles));
        AssertSameFacts(ours, await ReferenceTools.LibtorrentReadAsync(output), "libtorrent");
        AssertSameFacts(ours, await ReferenceTools.TransmissionShowAsync(output), "transmission-show");

        // libtorrent checks every piece hash against the files: all must be valid.
        var (have, pieces) = await ReferenceTools.LibtorrentVerifyAsync(output, data);
        Assert.That(have, Is.EqualTo(pieces), "libtorrent found pieces of our torrent that do not match the data");
        Assert.That(pieces, Is.EqualTo(ours.PieceCount));
    }

    [TestCase(false, false)]
    [TestCase(true, false)]
    [TestCase(false, true)]
    [TestCase(true, true)]
    public async Task LibtorrentTorrentIsReadIdentically(bool multiFile, bool hybrid)
    {
        var data = _temp.CreateSubdirectory("data");
        var source = multiFile
            ? TestData.CreateTree(Path.Combine(data, "tree"), [("a.bin", 40_000), ("sub/b.bin", 70_001), ("sub/c.txt", 3)], seed: 5)
            : TestData.CreateFile(Path.Combine(data, "single.bin"), 100_003, seed: 6);
        var output = _temp.Combine("lt.torrent");
        await ReferenceTools.LibtorrentCreateAsync(source, output, 16384, v1Only: !hybrid);

        var ours = await OurInfoAsync(output); // a hybrid v1+v2 torrent is read through its v1 part
        AssertSameFacts(ours, await ReferenceTools.LibtorrentReadAsync(output), "libtorrent");
        // transmission 3.00 cannot parse hybrid torrents at all, so it is only a reference for v1-only ones.
        if (!hybrid)
            AssertSameFacts(ours, await ReferenceTools.TransmissionShowAsync(output), "transmission-show");
    }

    [TestCase(false)]
    [TestCase(true)]
    public async Task TransmissionTorrentIsReadIdentically(bool multiFile)
    {
        var data = _temp.CreateSubdirectory("data");
        var source = multiFile
            ? TestData.CreateTree(Path.Combine(data, "tree"), [("x.bin", 33_333), ("y/z.bin", 1), ("y/w.bin", 65_536)], seed: 7)
            : TestData.CreateFile(Path.Combine(data, "single.bin"), 77_777, seed: 8);
        var output = _temp.Combine("tr.torrent");
        await ReferenceTools.TransmissionCreateAsync(source, output, 16);

        var ours = await OurInfoAsync(output);
        AssertSameFacts(ours, await ReferenceTools.TransmissionShowAsync(output), "transmission-show");
        AssertSameFacts(ours, await ReferenceTools.LibtorrentReadAsync(output), "libtorrent");
    }
}
