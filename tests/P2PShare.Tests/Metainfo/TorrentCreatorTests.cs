using System.Security.Cryptography;
using P2PShare.Metainfo;
using P2PShare.Tests.Support;

namespace P2PShare.Tests.Metainfo;

[TestFixture]
public sealed class TorrentCreatorTests
{
    private string _dir = null!;

    [SetUp]
    public void SetUp()
    {
        _dir = Path.Combine(Path.GetTempPath(), "p2pshare-create-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(_dir);
    }

    [TearDown]
    public void TearDown() => Directory.Delete(_dir, recursive: true);

    private string Write(string relative, int length, int seed = 1)
    {
        var path = Path.Combine(_dir, relative);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var bytes = new byte[length];
        new Random(seed).NextBytes(bytes);
        File.WriteAllBytes(path, bytes);
        return path;
    }

    [TestCase(1L, 16384)]
    [TestCase(16384L * 2000, 16384)]
    [TestCase(16384L * 2000 + 1, 32768)]
    [TestCase(1L << 30, 1 << 20)]           // 1 GiB → 1 MiB pieces, 1024 pieces
    [TestCase(700L * 1024 * 1024, 512 * 1024)]
    [TestCase(1L << 40, 16 << 20)]          // 1 TiB: capped at 16 MiB
    public void ChoosesAPowerOfTwoForAtMost2000Pieces(long total, int expected)
    {
        var chosen = PieceSizeChooser.Choose(total);
        Assert.That(chosen, Is.EqualTo(expected));
        var pieces = (total + chosen - 1) / chosen;
        if (chosen > PieceSizeChooser.MinPieceLength && chosen < PieceSizeChooser.MaxAutomaticPieceLength)
            Assert.That(pieces, Is.InRange(1001, 2000));
    }

    [TestCase(16384, null)]
    [TestCase(8192, "piece size must be between 16 KiB and 65536 KiB")]
    [TestCase(3 * 16384, "piece size must be a power of two")]
    [TestCase(128L * 1024 * 1024, "piece size must be between 16 KiB and 65536 KiB")]
    public void ValidatesRequestedPieceSizes(long size, string? problem) =>
        Assert.That(PieceSizeChooser.Validate(size), Is.EqualTo(problem));

    [Test]
    public async Task SingleFileTorrentHasTheRightHashesAndFields()
    {
        var path = Write("data.bin", 100_001);
        var options = new TorrentCreationOptions
        {
            Trackers = ["http://a/announce", "udp://b:6969/announce"],
            WebSeeds = ["http://seed/data.bin"],
            IsPrivate = true,
            Comment = "a comment",
            CreationDate = DateTimeOffset.FromUnixTimeSeconds(1_700_000_000),
            PieceLength = 16384,
        };
        var plan = TorrentCreator.Plan(path, options);
        var torrent = TorrentParser.Parse(await TorrentCreator.CreateAsync(plan, options, null, CancellationToken.None));

        var content = File.ReadAllBytes(path);
        Assert.Multiple(() =>
        {
            Assert.That(torrent.Name, Is.EqualTo("data.bin"));
            Assert.That(torrent.IsMultiFile, Is.False);
            Assert.That(torrent.PieceCount, Is.EqualTo(7));
            for (var i = 0; i < torrent.PieceCount; i++)
                Assert.That(torrent.PieceHash(i).ToArray(), Is.EqualTo(SHA1.HashData(content.AsSpan(i * 16384, torrent.PieceSize(i)))));
            Assert.That(torrent.AnnounceTiers, Is.EqualTo(new[] { new[] { "http://a/announce" }, new[] { "udp://b:6969/announce" } }));
            Assert.That(torrent.WebSeeds, Is.EqualTo(new[] { "http://seed/data.bin" }));
            Assert.That(torrent.IsPrivate, Is.True);
            Assert.That(torrent.Comment, Is.EqualTo("a comment"));
            Assert.That(torrent.CreatedBy, Does.Match(@"^P2PShare/\d+\.\d+"));
            Assert.That(torrent.CreationDate, Is.EqualTo(options.CreationDate));
        });
    }

    [Test]
    public async Task DirectoryFilesAreSortedAndEmptyAndHiddenFilesKept()
    {
        var root = Path.Combine(_dir, "share");
        Write("share/b.txt", 10, 1);
        Write("share/a/z.bin", 20_000, 2);
        Write("share/a-b", 5, 3);
        Write("share/.hidden", 7, 4);
        Write("share/a/empty", 0);
        Directory.CreateDirectory(Path.Combine(root, "nothing-here"));
        var plan = TorrentCreator.Plan(root, new TorrentCreationOptions());
        var torrent = TorrentParser.Parse(await TorrentCreator.CreateAsync(plan, new TorrentCreationOptions(), null, CancellationToken.None));

        Assert.That(torrent.Name, Is.EqualTo("share"));
        Assert.That(torrent.Files.Select(f => (f.DisplayPath, f.Length)), Is.EqualTo(new[]
        {
            (".hidden", 7L), ("a/empty", 0L), ("a/z.bin", 20_000L), ("a-b", 5L), ("b.txt", 10L),
        }));
        Assert.That(plan.Warnings, Is.EqualTo(new[] { "empty directory 'nothing-here' cannot be stored in a torrent and is left out" }));
        byte[] all = [.. File.ReadAllBytes(Path.Combine(root, ".hidden")), .. File.ReadAllBytes(Path.Combine(root, "a/z.bin")),
            .. File.ReadAllBytes(Path.Combine(root, "a-b")), .. File.ReadAllBytes(Path.Combine(root, "b.txt"))];
        Assert.That(torrent.PieceHash(0).ToArray(), Is.EqualTo(SHA1.HashData(all.AsSpan(0, 16384))));
        Assert.That(torrent.PieceHash(1).ToArray(), Is.EqualTo(SHA1.HashData(all.AsSpan(16384))));
    }

    [Test]
    public void SymlinkEscapingTheDirectoryIsRefused()
    {
        var outside = Write("secret.txt", 10);
        Write("share/ok.txt", 10);
        File.CreateSymbolicLink(Path.Combine(_dir, "share", "link"), outside);
        var error = Assert.Throws<IOException>(() => TorrentCreator.Plan(Path.Combine(_dir, "share"), new TorrentCreationOptions()));
        Assert.That(error!.Message, Does.StartWith("'link' is a symbolic link pointing outside"));
    }

    [Test]
    public void SymlinkedDirectoryEscapingIsRefused()
    {
        Write("elsewhere/x", 1);
        Write("share/ok.txt", 10);
        Directory.CreateSymbolicLink(Path.Combine(_dir, "share", "dir"), Path.Combine(_dir, "elsewhere"));
        var error = Assert.Throws<IOException>(() => TorrentCreator.Plan(Path.Combine(_dir, "share"), new TorrentCreationOptions()));
        Assert.That(error!.Message, Does.StartWith("'dir' is a symbolic link pointing outside"));
    }

    [Test]
    public void SymlinkInsideIsFollowedAndLoopsAreRefused()
    {
        Write("share/real.txt", 10);
        File.CreateSymbolicLink(Path.Combine(_dir, "share", "alias.txt"), Path.Combine(_dir, "share", "real.txt"));
        var plan = TorrentCreator.Plan(Path.Combine(_dir, "share"), new TorrentCreationOptions());
        Assert.That(plan.Files.Select(f => (string.Join('/', f.PathSegments), f.Length)), Is.EqualTo(new[] { ("alias.txt", 10L), ("real.txt", 10L) }));

        Directory.CreateSymbolicLink(Path.Combine(_dir, "share", "loop"), Path.Combine(_dir, "share"));
        var error = Assert.Throws<IOException>(() => TorrentCreator.Plan(Path.Combine(_dir, "share"), new TorrentCreationOptions()));
        Assert.That(error!.Message, Is.EqualTo("'loop' is a symbolic link loop"));
    }

    [Test]
    public void DanglingSymlinkIsRefused()
    {
        Write("share/ok.txt", 10);
        File.CreateSymbolicLink(Path.Combine(_dir, "share", "gone"), Path.Combine(_dir, "share", "missing"));
        var error = Assert.Throws<IOException>(() => TorrentCreator.Plan(Path.Combine(_dir, "share"), new TorrentCreationOptions()));
        Assert.That(error!.Message, Is.EqualTo("'gone' is a symbolic link to something that does not exist"));
    }

    [Test]
    public void NothingToShareIsRefused()
    {
        Write("share/empty", 0);
        Assert.That(Assert.Throws<IOException>(() => TorrentCreator.Plan(Path.Combine(_dir, "share"), new TorrentCreationOptions()))!.Message,
            Does.EndWith("has no data (all files are empty); a torrent needs at least one byte"));
        Directory.CreateDirectory(Path.Combine(_dir, "void"));
        Assert.That(Assert.Throws<IOException>(() => TorrentCreator.Plan(Path.Combine(_dir, "void"), new TorrentCreationOptions()))!.Message,
            Does.EndWith("contains no files"));
        Assert.Throws<FileNotFoundException>(() => TorrentCreator.Plan(Path.Combine(_dir, "absent"), new TorrentCreationOptions()));
    }

    [Test]
    public void FileNamesTheParserWouldRefuseAreRefused()
    {
        Write("share/a\\b", 3);
        var error = Assert.Throws<MetainfoException>(() => TorrentCreator.Plan(Path.Combine(_dir, "share"), new TorrentCreationOptions()));
        Assert.That(error!.Message, Is.EqualTo("'a\\b' component 'a\\b' contains a path separator"));
    }

    [Test]
    public async Task WriteIsAtomicAndRefusesToOverwriteWithoutForce()
    {
        var output = Path.Combine(_dir, "out.torrent");
        await TorrentCreator.WriteFileAsync([1, 2, 3], output, overwrite: false, CancellationToken.None);
        var error = Assert.ThrowsAsync<IOException>(() => TorrentCreator.WriteFileAsync([4], output, overwrite: false, CancellationToken.None));
        Assert.That(error!.Message, Is.EqualTo($"'{output}' already exists (use --force to overwrite it)"));
        Assert.That(File.ReadAllBytes(output), SameBytes.As(new byte[] { 1, 2, 3 }));
        await TorrentCreator.WriteFileAsync([4], output, overwrite: true, CancellationToken.None);
        Assert.That(File.ReadAllBytes(output), SameBytes.As(new byte[] { 4 }));
        Assert.That(Directory.GetFiles(_dir), Is.EqualTo(new[] { output }), "no temporary file left behind");
    }
}
