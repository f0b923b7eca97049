using P2PShare.Metainfo;
using P2PShare.Protocol;
using P2PShare.Storage;
using P2PShare.Tests.Storage;
using TempDirectory = P2PShare.Tests.Support.TempDirectory;
using P2PShare.Tests.Support;

namespace P2PShare.Tests.Hardening;

/// <summary>
/// Links planted in the download directory (probe finding on 297d351): writes must never follow them out. Each case
/// plants the link, writes every piece, and checks the error names the link and nothing outside changed.
/// </summary>
[TestFixture]
public sealed class SymlinkEscapeTests
{
    private TempDirectory _temp = null!;
    private string _out = null!;
    private string _elsewhere = null!;

    [SetUp]
    public void SetUp()
    {
        _temp = new TempDirectory();
        _out = _temp.CreateSubdirectory("out");
        _elsewhere = _temp.CreateSubdirectory("elsewhere");
    }

    [TearDown]
    public void TearDown() => _temp.Dispose();

    private static async Task<IOException> WriteAllExpectingRefusalAsync(Torrent torrent, byte[] data, string directory)
    {
        await using var storage = new TorrentStorage(torrent, directory);
        IOException? refused = null;
        for (var piece = 0; piece < torrent.PieceCount; piece++)
        {
            try
            {
                await storage.WritePieceAsync(piece, data.AsMemory((int)torrent.PieceOffset(piece), torrent.PieceSize(piece)), CancellationToken.None);
            }
            catch (IOException error)
            {
                refused ??= error;
            }
        }
        Assert.That(refused, Is.Not.Null, "a write through a planted link was not refused");
        Assert.That(refused!.Message, Does.Contain("symbolic link"));
        TestContext.Out.WriteLine(refused.Message);
        return refused;
    }

    [Test]
    public async Task SingleFileLinkToAnExistingFileIsNotOverwritten()
    {
        var victim = Path.Combine(_elsewhere, "victim");
        File.WriteAllText(victim, "precious");
        var (torrent, data) = TestTorrents.Single("name.bin", 1024, TestTorrents.RandomBytes(1, 5000));
        File.CreateSymbolicLink(Path.Combine(_out, "name.bin"), victim);

        await WriteAllExpectingRefusalAsync(torrent, data, _out);

        Assert.That(File.ReadAllText(victim), Is.EqualTo("precious"));
    }

    [Test]
    public async Task SingleFileDanglingLinkCreatesNothingOutside()
    {
        var target = Path.Combine(_elsewhere, "created-by-link");
        var (torrent, data) = TestTorrents.Single("name.bin", 1024, TestTorrents.RandomBytes(2, 3000));
        File.CreateSymbolicLink(Path.Combine(_out, "name.bin"), target);

        await WriteAllExpectingRefusalAsync(torrent, data, _out);

        Assert.That(File.Exists(target), Is.False);
    }

    [Test]
    public async Task MultiFileLinkedRootSendsNothingElsewhere()
    {
        var (torrent, data) = TestTorrents.Build("multi", 1024, new TestFile("a.bin", TestTorrents.RandomBytes(3, 2500)),
            new TestFile("sub/b.bin", TestTorrents.RandomBytes(4, 1500)), new TestFile("empty", []));
        Directory.CreateSymbolicLink(Path.Combine(_out, "multi"), _elsewhere);

        await WriteAllExpectingRefusalAsync(torrent, data, _out);

        Assert.That(Directory.EnumerateFileSystemEntries(_elsewhere), Is.Empty);
    }

    [Test]
    public async Task MultiFileLinkedSubdirectorySendsNothingElsewhere()
    {
        var (torrent, data) = TestTorrents.Build("multi", 1024, new TestFile("a.bin", TestTorrents.RandomBytes(5, 2500)),
            new TestFile("sub/deeper/b.bin", TestTorrents.RandomBytes(6, 1500)));
        Directory.CreateDirectory(Path.Combine(_out, "multi"));
        Directory.CreateSymbolicLink(Path.Combine(_out, "multi", "sub"), _elsewhere);

        await WriteAllExpectingRefusalAsync(torrent, data, _out);

        Assert.That(Directory.EnumerateFileSystemEntries(_elsewhere), Is.Empty);
        Assert.That(File.Exists(Path.Combine(_out, "multi", "a.bin")), Is.True, "files outside the linked directory are still written");
    }

    [Test]
    public async Task MultiFileLinkedEmptyFileIsNotCreatedOutside()
    {
        var target = Path.Combine(_elsewhere, "empty-target");
        var (torrent, data) = TestTorrents.Build("multi", 1024, new TestFile("a.bin", TestTorrents.RandomBytes(7, 2000)), new TestFile("empty", []));
        Directory.CreateDirectory(Path.Combine(_out, "multi"));
        File.CreateSymbolicLink(Path.Combine(_out, "multi", "empty"), target);

        await WriteAllExpectingRefusalAsync(torrent, data, _out);

        Assert.That(File.Exists(target), Is.False);
    }

    [Test]
    public void LinkedStateDirectoryIsRefusedAtStart()
    {
        Directory.CreateSymbolicLink(Path.Combine(_out, ResumeStore.StateDirectoryName), _elsewhere);

        var error = Assert.Throws<IOException>(() => ResumeStore.ForDownloadDirectory(_out));

        Assert.That(error!.Message, Does.Contain("symbolic link").And.Contain(".p2pshare"));
    }

    [Test]
    public async Task StateDirectoryLinkedAfterStartGetsNoResumeData()
    {
        var (torrent, _) = TestTorrents.Single("name.bin", 1024, TestTorrents.RandomBytes(8, 2000));
        var store = ResumeStore.ForDownloadDirectory(_out);
        Directory.CreateSymbolicLink(Path.Combine(_out, ResumeStore.StateDirectoryName), _elsewhere);

        var data = new ResumeData(torrent.InfoHash, new Bitfield(torrent.PieceCount), [], [], 0, 0);
        var error = Assert.ThrowsAsync<IOException>(() => store.SaveAsync(data, CancellationToken.None));

        Assert.That(error!.Message, Does.Contain("symbolic link"));
        Assert.That(Directory.EnumerateFileSystemEntries(_elsewhere), Is.Empty);
    }

    [Test]
    public async Task AUserNamedLinkedDownloadDirectoryIsStillAllowed()
    {
        var linkedOut = Path.Combine(_temp.Path, "linked-out");
        Directory.CreateSymbolicLink(linkedOut, _elsewhere);
        var content = TestTorrents.RandomBytes(9, 3000);
        var (torrent, data) = TestTorrents.Single("name.bin", 1024, content);

        await using (var storage = new TorrentStorage(torrent, linkedOut))
            for (var piece = 0; piece < torrent.PieceCount; piece++)
                await storage.WritePieceAsync(piece, data.AsMemory((int)torrent.PieceOffset(piece), torrent.PieceSize(piece)), CancellationToken.None);

        Assert.That(File.ReadAllBytes(Path.Combine(_elsewhere, "name.bin")), SameBytes.As(content));
    }
}
