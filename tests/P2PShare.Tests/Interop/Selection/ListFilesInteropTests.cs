using System.Text.RegularExpressions;
using P2PShare.Tests.Support;

namespace P2PShare.Tests.Interop.Selection;

/// <summary>
/// 'download --list-files MAGNET' against a libtorrent seeder: the metadata is fetched from the seeder, the files are
/// printed with the numbers --select takes and their sizes, the metadata is saved and the command exits without
/// downloading data; a following 'download MAGNET --select N' starts from the saved metadata (never asks peers for it)
/// and creates only the chosen file.
/// </summary>
[TestFixture]
[Category("Interop")]
[CancelAfter(90_000)]
public sealed partial class ListFilesInteropTests
{
    [Test]
    public async Task ListFilesFetchesAndSavesTheMetadataThenSelectStartsWithoutRefetching(CancellationToken ct)
    {
        RequiredTool.EnsureLibtorrent();
        await using var work = new TempDirectory("p2pshare-listfiles-");
        (string Path, long Size)[] files = [("one.mkv", 300_001), ("sub/two.srt", 20_003), ("three.mkv", 400_007)];
        var root = TestData.CreateTree(work.Combine("seed", "pack"), files, seed: 23);
        var created = await LibtorrentTorrent.CreateAsync(root, work.Combine("pack.torrent"), 64 * 1024, cancellationToken: ct);
        await using var seeder = await LibtorrentPeer.StartSeedAsync(created.TorrentPath, work.Combine("seed"), o => o with { NoTrackers = true }, ct);
        var magnet = $"magnet:?xt=urn:btih:{created.InfoHash}&dn=pack&x.pe=127.0.0.1:{seeder.Port}";
        var output = work.CreateSubdirectory("out");
        var saved = Path.Combine(output, ".p2pshare", created.InfoHash + ".torrent");

        var watch = System.Diagnostics.Stopwatch.StartNew();
        string listing;
        await using (var list = P2PShareClient.StartDownload(work.Path, magnet, output, "--list-files", "--give-up-after", "30"))
        {
            await list.WaitForSuccessAsync(TimeSpan.FromSeconds(40), ct);
            listing = list.Process.StdoutTail;
            Assert.That(list.ReadLog(), Does.Contain("fetching metadata from peers"), "the first run fetched the metadata. " + list.Describe());
        }
        TestContext.Out.WriteLine($"--list-files took {watch.Elapsed.TotalSeconds:0.0} s:\n{listing}");
        var rows = FileRow().Matches(listing).Select(m => (Number: int.Parse(m.Groups[1].Value), Size: long.Parse(m.Groups[2].Value), Path: m.Groups[3].Value.Trim())).ToList();
        Assert.That(rows.Select(r => r.Number), Is.EqualTo(new[] { 1, 2, 3 }), listing);
        Assert.That(rows.Select(r => (r.Path, r.Size)), Is.EquivalentTo(files), listing);
        Assert.That(listing, Does.Contain("Metadata saved to"));
        Assert.That(File.Exists(saved), Is.True, "the metadata is saved in the state directory");
        Assert.That(Directory.Exists(Path.Combine(output, "pack")), Is.False, "--list-files downloads no data");

        var wantedPath = "sub/two.srt";
        var number = rows.Single(r => r.Path == wantedPath).Number;
        await using (var download = P2PShareClient.StartDownload(work.Path, magnet, output, "--select", number.ToString(), "--no-seed", "--give-up-after", "30"))
        {
            await download.WaitForSuccessAsync(TimeSpan.FromSeconds(40), ct);
            var log = download.ReadLog();
            Assert.That(log, Does.Contain("metadata fetched earlier"), download.Describe());
            Assert.That(log, Does.Not.Contain("fetching metadata from peers").And.Not.Contain("Metadata complete"), "the metadata was fetched again. " + download.Describe());
        }
        Assert.That(TestData.Sha256File(Path.Combine(output, "pack", "sub", "two.srt")), Is.EqualTo(TestData.Sha256File(Path.Combine(root, "sub", "two.srt"))));
        Assert.That(File.Exists(Path.Combine(output, "pack", "one.mkv")) || File.Exists(Path.Combine(output, "pack", "three.mkv")), Is.False,
            "only the selected file is created");
    }

    // "   2           20003    19.5 KiB  sub/two.srt"
    [GeneratedRegex(@"^\s*(\d+)\s+(\d+)\s+\S+\s+\S+\s+(\S.*)$", RegexOptions.Multiline)]
    private static partial Regex FileRow();
}
