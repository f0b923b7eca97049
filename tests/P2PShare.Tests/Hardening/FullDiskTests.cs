using System.Security.Cryptography;
using P2PShare.Metainfo;
using P2PShare.Storage;
using P2PShare.Tests.Storage;
using P2PShare.Tests.Support;

namespace P2PShare.Tests.Hardening;

/// <summary>
/// Issue #25: on a full disk whose state directory is on the same file system, resume data could not be saved at all.
/// Now the save uses the space reserved for it: one clear line naming the disk and its free space, exit 1, resume data
/// recording every verified piece; after space is freed the next run goes on without fetching those pieces again.
/// </summary>
[TestFixture]
[Category("Interop")]
public sealed class FullDiskTests
{
    private const int PieceLength = 64 * 1024;
    private const long Size = 4L * 1024 * 1024;

    [Test, CancelAfter(120_000)]
    public async Task ResumeDataIsSavedOnAFullDiskAndTheNextRunContinues(CancellationToken cancellationToken)
    {
        RequiredTool.EnsureLibtorrent();
        await using var work = new Support.TempDirectory();
        var source = TestData.CreateFile(work.Combine("seed", "data.bin"), Size, seed: 25);
        var torrent = await LibtorrentTorrent.CreateAsync(source, work.Combine("data.torrent"), PieceLength, cancellationToken: cancellationToken);
        var diskPath = work.Combine("disk");
        using var disk = TmpfsMount.TryMount(diskPath, "size=3m", out var whyNot);
        if (disk is null)
        {
            if (RequiredTool.IsCi)
                Assert.Fail($"a full disk needs a small tmpfs: {whyNot}");
            Assert.Ignore($"a full disk needs a small tmpfs: {whyNot}");
        }
        await using var seeder = await LibtorrentPeer.StartSeedAsync(torrent.TorrentPath, work.Combine("seed"), o => o with { NoTrackers = true }, cancellationToken);

        // Run 1: the 4 MiB download fills the 3 MiB disk that also holds DIR/.p2pshare.
        int exit;
        string output;
        await using (var first = P2PShareClient.StartDownload(work.Path, torrent.TorrentPath, diskPath, "--peer", $"127.0.0.1:{seeder.Port}", "--no-seed"))
        {
            exit = await first.WaitForExitAsync(TimeSpan.FromSeconds(60), cancellationToken);
            output = first.Process.OutputTail;
        }
        var errorLine = output.Split('\n').FirstOrDefault(l => l.Contains("no space left", StringComparison.Ordinal)) ?? "";
        TestContext.Out.WriteLine($"run 1: exit {exit}; {errorLine.Trim()}");
        Assert.That(exit, Is.EqualTo(1), output);
        Assert.That(errorLine, Does.Contain($"(disk {diskPath}: ").And.Contain("free of 3.0 MiB"), "the error names the disk and its free space");

        var store = ResumeStore.ForDownloadDirectory(diskPath);
        var loaded = await store.LoadAsync(InfoHash.Parse(torrent.InfoHash), cancellationToken);
        Assert.That(loaded.Status, Is.EqualTo(ResumeLoadStatus.Loaded), $"resume data on the full disk: {loaded.Reason}");
        var onDisk = PiecesMatching(Path.Combine(diskPath, "data.bin"), source);
        var remembered = loaded.Data!.VerifiedPieces.CountSet;
        TestContext.Out.WriteLine($"pieces correct on disk {onDisk}, recorded in the resume data {remembered} of {Size / PieceLength}");
        Assert.That(onDisk, Is.GreaterThan(10), "the disk held part of the download");
        Assert.That(remembered, Is.GreaterThanOrEqualTo(onDisk - 2), "resume data records the pieces written before the disk filled");

        // Space freed: run 2 continues and fetches only what is missing.
        disk.Remount("size=8m");
        var uploadedBefore = (await seeder.WaitForStatusAsync(_ => true, TimeSpan.FromSeconds(10), "a seeder status", cancellationToken)).TotalPayloadUpload;
        await using (var second = P2PShareClient.StartDownload(work.Path, torrent.TorrentPath, diskPath, "--peer", $"127.0.0.1:{seeder.Port}", "--no-seed"))
            await second.WaitForSuccessAsync(TimeSpan.FromSeconds(60), cancellationToken);
        Assert.That(TestData.Sha256File(Path.Combine(diskPath, "data.bin")), Is.EqualTo(TestData.Sha256File(source)));
        var status = await seeder.WaitForStatusAsync(s => s.TotalPayloadUpload > uploadedBefore, TimeSpan.FromSeconds(10), "the seeder's upload to count run 2", cancellationToken);
        var fetched = status.TotalPayloadUpload - uploadedBefore;
        var missing = Size - (long)remembered * PieceLength;
        TestContext.Out.WriteLine($"run 2 fetched {fetched} bytes; missing after run 1: {missing}");
        Assert.That(fetched, Is.LessThanOrEqualTo(missing + 4L * PieceLength), "run 2 fetched pieces run 1 had verified");
    }

    /// <summary>How many whole pieces of <paramref name="partial"/> equal the original's.</summary>
    private static int PiecesMatching(string partial, string original)
    {
        if (!File.Exists(partial))
            return 0;
        using var a = File.OpenRead(partial);
        using var b = File.OpenRead(original);
        var x = new byte[PieceLength];
        var y = new byte[PieceLength];
        var matching = 0;
        for (long offset = 0; offset < Size; offset += PieceLength)
        {
            var n = a.ReadAtLeast(x, PieceLength, throwOnEndOfStream: false);
            b.ReadExactly(y, 0, (int)Math.Min(PieceLength, Size - offset));
            if (n == PieceLength && SHA1.HashData(x).AsSpan().SequenceEqual(SHA1.HashData(y)) && x.Any(v => v != 0))
                matching++;
        }
        return matching;
    }
}
