using P2PShare.Bencode;
using P2PShare.Metainfo;
using P2PShare.Networking.WebSeeds;
using P2PShare.Tests.Metainfo;

namespace P2PShare.Tests.WebSeeds;

public class WebSeedUrlTests
{
    internal static Torrent Single(string name = "file.bin", long length = 100_000, int pieceLength = 16384) =>
        TorrentParser.Parse(TorrentBuilder.Torrent(TorrentBuilder.SingleFileInfo(length, pieceLength, name)));

    internal static Torrent Multi(string name, params (string[] Path, long Length)[] files)
    {
        var info = TorrentBuilder.MultiFileInfo(files);
        info["name"] = new BString(name);
        return TorrentParser.Parse(TorrentBuilder.Torrent(info));
    }

    [Test]
    public void SingleFileUrlIsTheFileItself()
    {
        var torrent = Single("file.bin");
        var url = WebSeedUrl.ForFile(new Uri("http://example.org/mirror/other-name.iso"), torrent, torrent.Files[0]);
        Assert.That(url.AbsoluteUri, Is.EqualTo("http://example.org/mirror/other-name.iso"));
    }

    [Test]
    public void SingleFileDirectoryUrlGetsTheEncodedNameAppended()
    {
        var torrent = Single("my file #1?.bin");
        var url = WebSeedUrl.ForFile(new Uri("https://example.org/pub/"), torrent, torrent.Files[0]);
        Assert.That(url.AbsoluteUri, Is.EqualTo("https://example.org/pub/my%20file%20%231%3F.bin"));
    }

    [Test]
    public void MultiFileUrlIsRootSlashNameSlashPathWithEveryComponentEncoded()
    {
        var torrent = Multi("Some Album", (["CD 1", "01 – Intro.flac"], 10), (["cover%.jpg"], 5), (["x #1?%41.bin"], 1));
        var withSlash = new Uri("http://example.org/files/");
        var withoutSlash = new Uri("http://example.org/files");
        Assert.Multiple(() =>
        {
            Assert.That(WebSeedUrl.ForFile(withSlash, torrent, torrent.Files[0]).AbsoluteUri,
                Is.EqualTo("http://example.org/files/Some%20Album/CD%201/01%20%E2%80%93%20Intro.flac"));
            Assert.That(WebSeedUrl.ForFile(withoutSlash, torrent, torrent.Files[0]).AbsoluteUri,
                Is.EqualTo("http://example.org/files/Some%20Album/CD%201/01%20%E2%80%93%20Intro.flac"), "a '/' is added before the name");
            Assert.That(WebSeedUrl.ForFile(withSlash, torrent, torrent.Files[1]).AbsoluteUri,
                Is.EqualTo("http://example.org/files/Some%20Album/cover%25.jpg"), "a literal '%' is encoded, not taken as an escape");
            Assert.That(WebSeedUrl.ForFile(withSlash, torrent, torrent.Files[2]).AbsoluteUri,
                Is.EqualTo("http://example.org/files/Some%20Album/x%20%231%3F%2541.bin"), "'#', '?' and a valid-looking escape are data");
        });
    }

    [Test]
    public void PathSeparatorsInsideAComponentCannotAppear()
    {
        // The parser rejects components with '/' (PathSanitizer), so an encoded component never opens a new directory.
        Assert.Throws<MetainfoException>(() => Multi("root", (["a/b"], 1)));
    }

    [TestCase("http://example.org/x", true)]
    [TestCase("https://example.org/", true)]
    [TestCase("ftp://example.org/x", false)]
    [TestCase("file:///etc/passwd", false)]
    [TestCase("/relative/path", false)]
    [TestCase("not a url", false)]
    public void OnlyAbsoluteHttpUrlsAreWebSeeds(string text, bool accepted) =>
        Assert.That(WebSeedUrl.TryParseBase(text) is not null, Is.EqualTo(accepted));
}
