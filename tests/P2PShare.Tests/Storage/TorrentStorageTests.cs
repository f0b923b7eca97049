using P2PShare.Metainfo;
using P2PShare.Storage;
using P2PShare.Tests.Support;

namespace P2PShare.Tests.Storage;

[TestFixture]
public sealed class TorrentStorageTests
{
    private TempDirectory _temp = null!;

    [SetUp]
    public void SetUp() => _temp = new TempDirectory();

    [TearDown]
    public void TearDown() => _temp.Dispose();

    private static TestFile[] MixedFiles() =>
    [
        new("a.bin", TestTorrents.RandomBytes(1, 10_000)),
        new("empty.txt", []),
        TestFile.Padding(1, 240),
        new("sub/dir/b.bin", TestTorrents.RandomBytes(2, 3_000)),
        new("sub/c.bin", TestTorrents.RandomBytes(3, 17)),
        new("sub/empty-dir-file", []),
        new("d.bin", TestTorrents.RandomBytes(4, 5_555)),
    ];

    private static async Task WriteAllPiecesAsync(TorrentStorage storage, Torrent torrent, byte[] data, IEnumerable<int>? order = null)
    {
        foreach (var piece in order ?? Enumerable.Range(0, torrent.PieceCount))
            await storage.WritePieceAsync(piece, data.AsMemory((int)torrent.PieceOffset(piece), torrent.PieceSize(piece)), CancellationToken.None);
    }

    [Test]
    public async Task PiecesWrittenAcrossFileBoundariesLandInTheRightFiles()
    {
        var files = MixedFiles();
        var (torrent, data) = TestTorrents.Build("multi", 1024, files);
        await using (var storage = new TorrentStorage(torrent, _temp.Path))
        {
            // Reverse order: later files are created (sparse) before earlier ones are complete.
            await WriteAllPiecesAsync(storage, torrent, data, Enumerable.Range(0, torrent.PieceCount).Reverse());
            await storage.FlushAsync(CancellationToken.None);
        }

        var root = Path.Combine(_temp.Path, "multi");
        foreach (var file in files.Where(f => !f.IsPadding))
            Assert.That(File.ReadAllBytes(Path.Combine([root, .. file.Path.Split('/')])), SameBytes.As(file.Content), file.Path);
        Assert.That(Directory.Exists(Path.Combine(root, ".pad")), Is.False, "padding never touches disk");
        Assert.That(Directory.EnumerateFileSystemEntries(_temp.Path), Is.EqualTo(new[] { root }), "everything under DIR/<name>");
    }

    [Test]
    public async Task ReadsAcrossBoundariesReturnTheDataAndZerosForPadding()
    {
        var files = MixedFiles();
        var (torrent, data) = TestTorrents.Build("multi", 1024, files);
        await using var storage = new TorrentStorage(torrent, _temp.Path);
        await WriteAllPiecesAsync(storage, torrent, data);

        for (var piece = 0; piece < torrent.PieceCount; piece++)
        {
            var size = torrent.PieceSize(piece);
            foreach (var (offset, length) in new[] { (0, size), (1, size - 1), (size / 3, size / 3) })
            {
                var buffer = new byte[length];
                Array.Fill(buffer, (byte)0xEE);
                await storage.ReadAsync(piece, offset, buffer, CancellationToken.None);
                Assert.That(buffer, Is.EqualTo(data.AsSpan((int)torrent.PieceOffset(piece) + offset, length).ToArray()), $"piece {piece} @{offset}+{length}");
            }
        }
    }

    [Test]
    public async Task SingleFileTorrentIsAFileNamedAfterTheTorrent()
    {
        var (torrent, data) = TestTorrents.Single("movie.mkv", 4096, TestTorrents.RandomBytes(5, 10_000));
        await using (var storage = new TorrentStorage(torrent, _temp.Path))
        {
            await WriteAllPiecesAsync(storage, torrent, data);
            await storage.FlushAsync(CancellationToken.None);
        }
        Assert.That(File.ReadAllBytes(Path.Combine(_temp.Path, "movie.mkv")), SameBytes.As(data));
    }

    [Test]
    public async Task FirstWriteCreatesFilesAtFinalLengthAndEmptyFiles()
    {
        var files = MixedFiles();
        var (torrent, data) = TestTorrents.Build("multi", 1024, files);
        await using var storage = new TorrentStorage(torrent, _temp.Path);
        await storage.WritePieceAsync(0, data.AsMemory(0, 1024), CancellationToken.None);

        var root = Path.Combine(_temp.Path, "multi");
        Assert.That(new FileInfo(Path.Combine(root, "a.bin")).Length, Is.EqualTo(10_000), "sparse at its final length");
        Assert.That(new FileInfo(Path.Combine(root, "empty.txt")).Length, Is.Zero);
        Assert.That(File.Exists(Path.Combine(root, "sub", "empty-dir-file")), Is.True, "directories created for empty files too");
        Assert.That(File.Exists(Path.Combine(root, "d.bin")), Is.False, "files are opened lazily");
    }

    [Test]
    public async Task HandleCountStaysBoundedAndEvictedFilesStillWork()
    {
        var files = Enumerable.Range(0, 40).Select(i => new TestFile($"f{i:D2}", TestTorrents.RandomBytes(100 + i, 300))).ToArray();
        var (torrent, data) = TestTorrents.Build("many", 512, files);
        await using var storage = new TorrentStorage(torrent, _temp.Path, new TorrentStorageOptions { MaxOpenFiles = 4 });
        await Parallel.ForEachAsync(Enumerable.Range(0, torrent.PieceCount), async (piece, ct) =>
        {
            await storage.WritePieceAsync(piece, data.AsMemory((int)torrent.PieceOffset(piece), torrent.PieceSize(piece)), ct);
            Assert.That(storage.OpenFileCount, Is.LessThanOrEqualTo(4 + Environment.ProcessorCount * 2));
        });
        await storage.FlushAsync(CancellationToken.None);
        Assert.That(storage.OpenFileCount, Is.LessThanOrEqualTo(4));

        var all = new byte[data.Length];
        await Parallel.ForEachAsync(Enumerable.Range(0, torrent.PieceCount), async (piece, ct) =>
            await storage.ReadAsync(piece, 0, all.AsMemory((int)torrent.PieceOffset(piece), torrent.PieceSize(piece)), ct));
        Assert.That(all, SameBytes.As(data));
        Assert.That(storage.OpenFileCount, Is.LessThanOrEqualTo(4));
    }

    [Test]
    public async Task TorrentsSharingOneHandleBudgetStayWithinItAndClosingOneLeavesTheOthersWorking()
    {
        using var shared = new FileHandleCache(3);
        var filesA = Enumerable.Range(0, 10).Select(i => new TestFile($"a{i}", TestTorrents.RandomBytes(200 + i, 300))).ToArray();
        var filesB = Enumerable.Range(0, 10).Select(i => new TestFile($"b{i}", TestTorrents.RandomBytes(300 + i, 300))).ToArray();
        var (a, dataA) = TestTorrents.Build("a", 512, filesA);
        var (b, dataB) = TestTorrents.Build("b", 512, filesB);
        var storageA = new TorrentStorage(a, _temp.Path, sharedHandles: shared);
        await using var storageB = new TorrentStorage(b, _temp.Path, sharedHandles: shared);
        for (var piece = 0; piece < a.PieceCount; piece++)
        {
            await storageA.WritePieceAsync(piece, dataA.AsMemory((int)a.PieceOffset(piece), a.PieceSize(piece)), CancellationToken.None);
            await storageB.WritePieceAsync(piece % b.PieceCount, dataB.AsMemory((int)b.PieceOffset(piece % b.PieceCount), b.PieceSize(piece % b.PieceCount)), CancellationToken.None);
            Assert.That(shared.OpenCount, Is.LessThanOrEqualTo(3), "one budget for both torrents");
        }
        await storageA.DisposeAsync();
        var all = new byte[dataB.Length];
        for (var piece = 0; piece < b.PieceCount; piece++)
            await storageB.ReadAsync(piece, 0, all.AsMemory((int)b.PieceOffset(piece), b.PieceSize(piece)), CancellationToken.None);
        Assert.That(all, SameBytes.As(dataB), "the other torrent's files still read after one storage closed");
    }

    [Test]
    public async Task ConcurrentWritesAndReadsOfDifferentPiecesAreConsistent()
    {
        var files = new[] { new TestFile("x", TestTorrents.RandomBytes(7, 200_000)), new TestFile("y", TestTorrents.RandomBytes(8, 77_777)) };
        var (torrent, data) = TestTorrents.Build("conc", 4096, files);
        await using var storage = new TorrentStorage(torrent, _temp.Path, new TorrentStorageOptions { MaxOpenFiles = 1 });
        var written = new bool[torrent.PieceCount];
        var writers = Parallel.ForEachAsync(Enumerable.Range(0, torrent.PieceCount).OrderBy(i => (i * 37) % 71), async (piece, ct) =>
        {
            await storage.WritePieceAsync(piece, data.AsMemory((int)torrent.PieceOffset(piece), torrent.PieceSize(piece)), ct);
            Volatile.Write(ref written[piece], true);
        });
        var buffer = new byte[4096];
        var reads = 0;
        while (!writers.IsCompleted || reads == 0)
        {
            for (var piece = 0; piece < torrent.PieceCount; piece++)
            {
                if (!Volatile.Read(ref written[piece]))
                    continue;
                var size = torrent.PieceSize(piece);
                await storage.ReadAsync(piece, 0, buffer.AsMemory(0, size), CancellationToken.None);
                Assert.That(buffer.AsSpan(0, size).SequenceEqual(data.AsSpan((int)torrent.PieceOffset(piece), size)), Is.True, $"piece {piece}");
                reads++;
            }
        }
        await writers;
        Assert.That(reads, Is.Positive);
    }

    [Test]
    public async Task AWrongSizedPieceIsRefused()
    {
        var (torrent, data) = TestTorrents.Single("f", 1024, TestTorrents.RandomBytes(9, 3000));
        await using var storage = new TorrentStorage(torrent, _temp.Path);
        Assert.ThrowsAsync<ArgumentException>(async () => await storage.WritePieceAsync(0, data.AsMemory(0, 1000), CancellationToken.None));
    }

    [Test]
    public async Task ReadingDataThatIsNotThereIsAClearError()
    {
        var (torrent, _) = TestTorrents.Single("absent.bin", 1024, TestTorrents.RandomBytes(10, 3000));
        await using var storage = new TorrentStorage(torrent, _temp.Path);
        var error = Assert.ThrowsAsync<IOException>(async () => await storage.ReadAsync(0, 0, new byte[10], CancellationToken.None));
        Assert.That(error!.Message, Does.Contain(Path.Combine(_temp.Path, "absent.bin")));

        File.WriteAllBytes(Path.Combine(_temp.Path, "absent.bin"), new byte[100]);
        await using var again = new TorrentStorage(torrent, _temp.Path);
        error = Assert.ThrowsAsync<IOException>(async () => await again.ReadAsync(2, 0, new byte[10], CancellationToken.None));
        Assert.That(error!.Message, Is.EqualTo($"{Path.Combine(_temp.Path, "absent.bin")} is 100 bytes, too short to read up to offset 2058 (truncated?)"));
    }

    [Test]
    public void PathsOutsideTheDownloadDirectoryAreRefused()
    {
        // The parser refuses such names; build the torrent behind its back to test the second line of defence.
        var (good, _) = TestTorrents.Build("ok", 16, new TestFile("a", new byte[20]));
        Torrent With(string name, params string[] segments) => new(
            good.InfoHash, good.InfoBytes, name, good.PieceLength, good.PieceHashes,
            [new TorrentFile(segments, 20, 0)], isMultiFile: true);

        Assert.Throws<IOException>(() => _ = new TorrentStorage(With("..", "a"), _temp.Path));
        Assert.Throws<IOException>(() => _ = new TorrentStorage(With("ok", "..", "..", "escape"), _temp.Path));
        Assert.Throws<IOException>(() => _ = new TorrentStorage(With("/etc", "passwd"), _temp.Path));
        var error = Assert.Throws<IOException>(() => _ = new ContentPaths(With("ok", "..", "..", Path.GetFileName(_temp.Path) + "-sibling", "x"), _temp.Path));
        Assert.That(error!.Message, Does.Contain("outside the download directory"));
        Assert.That(new ContentPaths(With("ok", "sub", "a"), _temp.Path)[0], Is.EqualTo(Path.Combine(_temp.Path, "ok", "sub", "a")));
    }

    [Test]
    public async Task AFileInTheWayOfADirectoryIsAClearError()
    {
        var (torrent, data) = TestTorrents.Build("multi", 1024, new TestFile("sub/a", TestTorrents.RandomBytes(11, 100)));
        Directory.CreateDirectory(Path.Combine(_temp.Path, "multi"));
        File.WriteAllText(Path.Combine(_temp.Path, "multi", "sub"), "not a directory");
        await using var storage = new TorrentStorage(torrent, _temp.Path);
        var error = Assert.ThrowsAsync<IOException>(async () => await storage.WritePieceAsync(0, data, CancellationToken.None));
        Assert.That(error!.Message, Does.Contain(Path.Combine(_temp.Path, "multi", "sub")));
    }

    [Test]
    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    public async Task AnUnwritableDirectoryIsAClearError()
    {
        var (torrent, data) = TestTorrents.Single("f.bin", 1024, TestTorrents.RandomBytes(12, 100));
        var target = Path.Combine(_temp.Path, "locked");
        Directory.CreateDirectory(target);
        TmpfsMount? mount = null;
        if (Environment.IsPrivilegedProcess)
        {
            // Root ignores permission bits: a read-only file system is the way to make a directory unwritable.
            mount = TmpfsMount.TryMount(target, "ro,size=64k", out var whyNot);
            if (mount is null)
                Assert.Ignore($"running as root and {whyNot}: cannot make a directory unwritable");
        }
        else
        {
            File.SetUnixFileMode(target, UnixFileMode.UserRead | UnixFileMode.UserExecute);
        }
        try
        {
            await using var storage = new TorrentStorage(torrent, target);
            var error = Assert.ThrowsAsync<IOException>(async () => await storage.WritePieceAsync(0, data, CancellationToken.None));
            Assert.That(error!.Message, Does.Contain(Path.Combine(target, "f.bin")));
            Assert.That(error.Message, Does.StartWith(mount is null ? "permission denied" : "read-only file system"));
        }
        finally
        {
            mount?.Dispose();
            if (mount is null)
                File.SetUnixFileMode(target, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }
    }

    [Test]
    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    public async Task AReadOnlyFileIsAClearError()
    {
        var (torrent, data) = TestTorrents.Single("ro.bin", 1024, TestTorrents.RandomBytes(13, 100));
        var directory = Path.Combine(_temp.Path, "ro");
        TmpfsMount? mount = null;
        if (Environment.IsPrivilegedProcess)
        {
            // Root writes files whatever their mode: a file on a read-only file system is read-only for root too.
            mount = TmpfsMount.TryMount(directory, "size=64k", out var whyNot);
            if (mount is null)
                Assert.Ignore($"running as root and {whyNot}: cannot make a file read-only");
        }
        Directory.CreateDirectory(directory);
        var path = Path.Combine(directory, "ro.bin");
        File.WriteAllBytes(path, new byte[100]);
        try
        {
            if (mount is null)
                File.SetUnixFileMode(path, UnixFileMode.UserRead);
            else
                mount.RemountReadOnly();
            await using var storage = new TorrentStorage(torrent, directory);
            var error = Assert.ThrowsAsync<IOException>(async () => await storage.WritePieceAsync(0, data, CancellationToken.None));
            Assert.That(error!.Message, Is.EqualTo($"{(mount is null ? "permission denied" : "read-only file system")} opening {path}"));

            var buffer = new byte[100];
            await storage.ReadAsync(0, 0, buffer, CancellationToken.None);
            Assert.That(buffer, Is.EqualTo(new byte[100]), "a read-only file can still be read (seeding)");
        }
        finally
        {
            mount?.Dispose();
        }
    }

    [Test]
    public async Task AFullDiskIsAClearError()
    {
        var (torrent, data) = TestTorrents.Single("big.bin", 64 * 1024, TestTorrents.RandomBytes(14, 1024 * 1024));
        var target = Path.Combine(_temp.Path, "small-disk");
        using var mount = TmpfsMount.TryMount(target, "size=128k", out var whyNot);
        if (mount is null)
            Assert.Ignore($"cannot simulate a full disk: {whyNot}");
        await using var storage = new TorrentStorage(torrent, target);
        var error = Assert.ThrowsAsync<IOException>(async () =>
        {
            for (var piece = 0; piece < torrent.PieceCount; piece++)
                await storage.WritePieceAsync(piece, data.AsMemory((int)torrent.PieceOffset(piece), torrent.PieceSize(piece)), CancellationToken.None);
        });
        Assert.That(error!.Message, Does.StartWith($"no space left on device writing {Path.Combine(target, "big.bin")} (disk {target}: "));
        Assert.That(error.Message, Does.Match(@"\(disk .*: [0-9.]+ (B|KiB) free of 128\.0 KiB\)$"), "names the disk and its free space");
    }
}
