using System.Text;
using P2PShare.Bencode;
using P2PShare.Metainfo;

namespace P2PShare.Tests.Metainfo;

[TestFixture]
public sealed class TorrentParserTests
{
    [Test]
    public void ParsesASingleFileTorrent()
    {
        var info = TorrentBuilder.SingleFileInfo(length: 40_000);
        var torrent = TorrentParser.Parse(TorrentBuilder.Torrent(info, top =>
        {
            top["comment"] = new BString("hi");
            top["created by"] = new BString("test");
            top["creation date"] = new BInteger(1_700_000_000);
            top["url-list"] = new BString("http://seed.example/file.bin");
        }));
        Assert.Multiple(() =>
        {
            Assert.That(torrent.Name, Is.EqualTo("file.bin"));
            Assert.That(torrent.InfoHash.Hex, Is.EqualTo(TorrentBuilder.InfoHashHex(info)));
            Assert.That(torrent.TotalLength, Is.EqualTo(40_000));
            Assert.That(torrent.PieceCount, Is.EqualTo(3));
            Assert.That(torrent.PieceSize(2), Is.EqualTo(40_000 - 2 * 16384));
            Assert.That(torrent.IsMultiFile, Is.False);
            Assert.That(torrent.AnnounceTiers, Is.EqualTo(new[] { new[] { "http://tracker.example/announce" } }));
            Assert.That(torrent.WebSeeds, Is.EqualTo(new[] { "http://seed.example/file.bin" }));
            Assert.That(torrent.Comment, Is.EqualTo("hi"));
            Assert.That(torrent.CreatedBy, Is.EqualTo("test"));
            Assert.That(torrent.CreationDate, Is.EqualTo(DateTimeOffset.FromUnixTimeSeconds(1_700_000_000)));
        });
    }

    [Test]
    public void InfoHashCoversTheOriginalBytesEvenWhenKeysAreUnsorted()
    {
        // 'pieces' before 'name': not canonical, yet the hash must be of these bytes, not of a re-encoding.
        var infoText = "d6:lengthi5e6:pieces20:" + new string('a', 20) + "4:name1:x12:piece lengthi16384ee";
        var bytes = Encoding.ASCII.GetBytes("d4:info" + infoText + "e");
        var torrent = TorrentParser.Parse(bytes);
        var expected = Convert.ToHexStringLower(System.Security.Cryptography.SHA1.HashData(Encoding.ASCII.GetBytes(infoText)));
        Assert.That(torrent.InfoHash.Hex, Is.EqualTo(expected));
    }

    [Test]
    public void AnnounceListTiersWinOverAnnounce()
    {
        var torrent = TorrentParser.Parse(TorrentBuilder.Torrent(TorrentBuilder.SingleFileInfo(), top =>
            top["announce-list"] = new BList([
                new BList([new BString("http://a/1"), new BString("http://a/2")]),
                new BList([new BString("udp://b/1"), new BString("http://a/1")]),
                new BList([]),
            ])));
        Assert.That(torrent.AnnounceTiers, Is.EqualTo(new[] { new[] { "http://a/1", "http://a/2" }, new[] { "udp://b/1" } }));
    }

    private static IEnumerable<TestCaseData> Hostile()
    {
        TestCaseData Case(string name, Func<byte[]> torrent, string reason) =>
            new TestCaseData(torrent, reason).SetName("Refuses " + name);

        byte[] Multi(params string[] path) => TorrentBuilder.Torrent(TorrentBuilder.MultiFileInfo((path, 10)));

        yield return Case("dot-dot component", () => Multi("..", "etc", "passwd"), "file 0 path has a '..' component, which would leave the download directory");
        yield return Case("dot component", () => Multi(".", "a"), "file 0 path has a '.' component, which would leave the download directory");
        yield return Case("absolute path", () => Multi("/etc/passwd"), "file 0 path component '/etc/passwd' contains a path separator");
        yield return Case("empty first component (absolute)", () => Multi("", "etc"), "file 0 path has an empty component");
        yield return Case("empty component", () => Multi("a", "", "b"), "file 0 path has an empty component");
        yield return Case("NUL in component", () => Multi("a\0b"), "file 0 path component contains a NUL byte");
        yield return Case("slash in component", () => Multi("a/b"), "file 0 path component 'a/b' contains a path separator");
        yield return Case("backslash in component", () => Multi("..\\x"), "file 0 path component '..\\x' contains a path separator");
        yield return Case("empty path list", () => Multi(), "file 0 has an empty path");
        yield return Case("dot-dot name", () => TorrentBuilder.Torrent(TorrentBuilder.SingleFileInfo(name: "..")), "name has a '..' component, which would leave the download directory");
        yield return Case("slash in name", () => TorrentBuilder.Torrent(TorrentBuilder.SingleFileInfo(name: "/tmp/x")), "name component '/tmp/x' contains a path separator");
        yield return Case("pieces not a multiple of 20", () =>
        {
            var info = TorrentBuilder.SingleFileInfo();
            info["pieces"] = new BString(new byte[39]);
            return TorrentBuilder.Torrent(info);
        }, "'pieces' is 39 bytes, not a multiple of 20");
        yield return Case("too few piece hashes", () =>
        {
            var info = TorrentBuilder.SingleFileInfo(length: 40_000);
            info["pieces"] = new BString(new byte[40]);
            return TorrentBuilder.Torrent(info);
        }, "torrent has 2 piece hashes but its 40000 bytes need 3");
        yield return Case("too many piece hashes", () =>
        {
            var info = TorrentBuilder.SingleFileInfo(length: 100);
            info["pieces"] = new BString(new byte[40]);
            return TorrentBuilder.Torrent(info);
        }, "torrent has 2 piece hashes but its 100 bytes need 1");
        yield return Case("negative single-file length", () =>
        {
            var info = TorrentBuilder.SingleFileInfo();
            info["length"] = new BInteger(-1);
            return TorrentBuilder.Torrent(info);
        }, "file length -1 is negative");
        yield return Case("negative file length", () => TorrentBuilder.Torrent(TorrentBuilder.MultiFileInfo((["a"], 20), (["b"], -5))),
            "file 1 has a negative length -5");
        yield return Case("zero piece length", () =>
        {
            var info = TorrentBuilder.SingleFileInfo();
            info["piece length"] = new BInteger(0);
            return TorrentBuilder.Torrent(info);
        }, "piece length 0 is out of range");
        yield return Case("duplicate paths", () => TorrentBuilder.Torrent(TorrentBuilder.MultiFileInfo((["a"], 1), (["a"], 1))), "file path 'a' appears twice");
        yield return Case("file and directory clash", () => TorrentBuilder.Torrent(TorrentBuilder.MultiFileInfo((["a"], 1), (["a", "b"], 1))), "'a' is both a file and a directory");
        yield return Case("no info", () => BencodeEncoder.Encode(new BDictionary { ["announce"] = new BString("x") }), "torrent has no 'info' dictionary");
        yield return Case("not a dictionary", () => "li1ee"u8.ToArray(), "not a torrent file (the top level is not a dictionary)");
        yield return Case("bad bencode", () => "d4:info"u8.ToArray(), "not a torrent file (invalid bencode at byte 7: dictionary key 'info' has no value)");
        yield return Case("no data", () => TorrentBuilder.Torrent(TorrentBuilder.SingleFileInfo(length: 0)), "torrent has no data (total length is 0)");
        yield return Case("v2-only", () => TorrentBuilder.Torrent(new BDictionary
        {
            ["name"] = new BString("v2"),
            ["piece length"] = new BInteger(16384),
            ["meta version"] = new BInteger(2),
            ["file tree"] = new BDictionary { ["a"] = new BDictionary { [""] = new BDictionary { ["length"] = new BInteger(5) } } },
        }), "file 'a' has no 'pieces root'");
    }

    [TestCaseSource(nameof(Hostile))]
    public void HostileTorrentIsRefusedWithTheReason(Func<byte[]> torrent, string reason)
    {
        var bytes = torrent();
        var error = Assert.Throws<MetainfoException>(() => TorrentParser.Parse(bytes));
        Assert.That(error!.Message, Is.EqualTo(reason));
    }

    [Test]
    public void HybridTorrentIsReadThroughItsV1Part()
    {
        var info = TorrentBuilder.SingleFileInfo(length: 5, name: "a");
        info["meta version"] = new BInteger(2);
        info["file tree"] = new BDictionary
        {
            ["a"] = new BDictionary { [""] = new BDictionary { ["length"] = new BInteger(5), ["pieces root"] = new BString(new byte[32]) } },
        };
        var torrent = TorrentParser.Parse(TorrentBuilder.Torrent(info, top => top["piece layers"] = new BDictionary()));
        Assert.That(torrent.Version, Is.EqualTo(TorrentVersion.Hybrid));
        Assert.That(torrent.InfoHash.Hex, Is.EqualTo(TorrentBuilder.InfoHashHex(info)));
        Assert.That(torrent.TotalLength, Is.EqualTo(5));
        Assert.That(torrent.Files.Single().DisplayPath, Is.EqualTo("a"));
    }

    [Test]
    public void PaddingFilesAreMarked()
    {
        var info = TorrentBuilder.MultiFileInfo((["a"], 10), ([".pad", "16374"], 16374), (["b"], 5));
        ((BDictionary)((BList)info["files"]!)[1])["attr"] = new BString("p");
        var torrent = TorrentParser.Parse(TorrentBuilder.Torrent(info));
        Assert.That(torrent.Files.Select(f => f.IsPadding), Is.EqualTo(new[] { false, true, false }));
        Assert.That(torrent.Files[2].Offset, Is.EqualTo(16384));
    }

    [Test]
    public async Task LoadAsyncNamesTheFileInErrors()
    {
        var path = Path.Combine(Path.GetTempPath(), $"p2pshare-{Guid.NewGuid():N}.torrent");
        await File.WriteAllBytesAsync(path, "i1e"u8.ToArray());
        try
        {
            var error = Assert.ThrowsAsync<MetainfoException>(() => TorrentParser.LoadAsync(path, CancellationToken.None));
            Assert.That(error!.Message, Is.EqualTo($"{path}: not a torrent file (the top level is not a dictionary)"));
        }
        finally
        {
            File.Delete(path);
        }
        Assert.ThrowsAsync<FileNotFoundException>(() => TorrentParser.LoadAsync(path, CancellationToken.None));
    }
}
