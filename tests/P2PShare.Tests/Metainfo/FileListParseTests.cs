using System.Diagnostics;
using System.Text;
using P2PShare.Bencode;
using P2PShare.Metainfo;

namespace P2PShare.Tests.Metainfo;

/// <summary>
/// The 'files' list read in place (issue #20: a torrent of 100,000 files starts within 2 s): the same files and the
/// same refusals as a tree lookup, whether the list comes from a .torrent, from metadata or from a built tree, and a
/// 100,000-file torrent parsed with bounded allocation.
/// </summary>
[TestFixture]
public sealed class FileListParseTests
{
    private static BDictionary Entry(long length, params string[] path) => new()
    {
        ["length"] = new BInteger(length),
        ["path"] = new BList(path.Select(p => (BValue)new BString(p))),
    };

    private static BDictionary Info(params BValue[] entries) => new()
    {
        ["name"] = new BString("root"),
        ["piece length"] = new BInteger(16384),
        ["pieces"] = new BString(new byte[20]),
        ["files"] = new BList(entries),
    };

    private static string Refusal(BDictionary info) =>
        Assert.Throws<MetainfoException>(() => TorrentParser.Parse(TorrentBuilder.Torrent(info)))!.Message;

    [Test]
    public void EntriesAreReadAsATreeLookupReadsThem()
    {
        var withUtf8 = Entry(3, "ignored");
        withUtf8["path.utf-8"] = new BList([new BString("dir"), new BString("é.txt")]);
        withUtf8["md5sum"] = new BString("0123");
        var padding = Entry(5, ".pad", "5");
        padding["attr"] = new BString("xp");
        var lengthAsText = Entry(1, "c");
        lengthAsText["path.utf-8"] = new BString("not a list: 'path' is used");
        var info = Info(Entry(2, "dir", "a"), withUtf8, padding, lengthAsText);

        var torrent = TorrentParser.Parse(TorrentBuilder.Torrent(info));

        Assert.That(torrent.Files.Select(f => f.DisplayPath), Is.EqualTo(new[] { "dir/a", "dir/é.txt", ".pad/5", "c" }));
        Assert.That(torrent.Files.Select(f => f.Offset), Is.EqualTo(new long[] { 0, 2, 5, 10 }));
        Assert.That(torrent.Files.Select(f => f.IsPadding), Is.EqualTo(new[] { false, false, true, false }));
        // The same from metadata (a bare info dictionary) and from a built tree.
        var fromMetadata = TorrentParser.FromMetadata(torrent.InfoBytes, torrent.ToMagnetLink());
        var fromTree = TorrentParser.ParseInfo(info);
        Assert.That(fromMetadata.Files, Is.EqualTo(torrent.Files).Using<TorrentFile>(SameFile));
        Assert.That(fromTree.Files, Is.EqualTo(torrent.Files).Using<TorrentFile>(SameFile));
    }

    private static bool SameFile(TorrentFile a, TorrentFile b) =>
        a.DisplayPath == b.DisplayPath && a.PathSegments.SequenceEqual(b.PathSegments) && a.Length == b.Length && a.Offset == b.Offset && a.IsPadding == b.IsPadding;

    [Test]
    public void ADirectoryNameIsOneStringForAllItsFiles()
    {
        var torrent = TorrentParser.Parse(TorrentBuilder.Torrent(Info(Entry(1, "d", "a"), Entry(1, "d", "b"), Entry(1, "d", "c"))));
        Assert.That(torrent.Files[2].PathSegments[0], Is.SameAs(torrent.Files[0].PathSegments[0]));
        Assert.That(torrent.Files[2].PathSegments[1], Is.EqualTo("c"));
    }

    [Test]
    public void ASharedDirectoryNameIsStillSanitized()
    {
        // Same bytes as the previous file's directory only after sanitizing: checked again, not shared.
        var torrent = TorrentParser.Parse(TorrentBuilder.Torrent(Info(Entry(1, "d\u0007", "a"), Entry(1, "d_", "b"))));
        Assert.That(torrent.Files.Select(f => f.DisplayPath), Is.EqualTo(new[] { "d_/a", "d_/b" }));
    }

    private static IEnumerable<TestCaseData> Refusals()
    {
        TestCaseData Case(string name, Func<BDictionary> info, string reason) => new TestCaseData(info, reason).SetName("Refuses " + name);
        yield return Case("an entry that is not a dictionary", () => Info(Entry(1, "a"), new BInteger(3)), "entry 1 of 'files' is not a dictionary");
        yield return Case("an entry without length", () => { var e = Entry(1, "a"); e.Set(new BString("length"), null); return Info(e); }, "file 0 has no 'length'");
        yield return Case("a length that is a string", () => { var e = Entry(1, "a"); e["length"] = new BString("1"); return Info(e); }, "file 0 has no 'length'");
        yield return Case("an entry without path", () => { var e = Entry(1, "a"); e.Set(new BString("path"), null); return Info(e); }, "file 0 has no 'path' list");
        yield return Case("a path that is a string", () => { var e = Entry(1, "a"); e["path"] = new BString("a"); return Info(e); }, "file 0 has no 'path' list");
        yield return Case("a component that is not a string", () => { var e = Entry(1, "a"); e["path"] = new BList([new BString("a"), new BInteger(1)]); return Info(e); },
            "file 0 has a path component that is not a string");
        yield return Case("a bad component before a non-string one", () => { var e = Entry(1, "a"); e["path"] = new BList([new BString(".."), new BInteger(1)]); return Info(e); },
            "file 0 path has a '..' component, which would leave the download directory");
        yield return Case("too many components", () => Info(Entry(1, [.. Enumerable.Repeat("d", MetainfoLimits.MaxPathDepth + 1)])),
            $"file 0 path has {MetainfoLimits.MaxPathDepth + 1} components; the limit is {MetainfoLimits.MaxPathDepth}");
        yield return Case("a path too long", () => Info(Entry(1, [.. Enumerable.Repeat(new string('d', 200), 21)])),
            $"file 0 path is {21 * 201 - 1} characters long; the limit is {MetainfoLimits.MaxPathLength}");
        yield return Case("invalid UTF-8", () => { var e = Entry(1, "a"); e["path"] = new BList([new BString(new byte[] { 0xff })]); return Info(e); },
            "file 0 path is not valid UTF-8");
        yield return Case("a component over 255 characters", () => Info(Entry(1, new string('x', 256))), "file 0 path component is longer than 255 characters");
        yield return Case("'files' that is not a list", () => { var i = Info(); i["files"] = new BDictionary(); return i; }, "'files' is not a list");
        yield return Case("a total length that overflows", () => Info(Entry(long.MaxValue, "a"), Entry(1, "b")), "total length overflows");
    }

    [TestCaseSource(nameof(Refusals))]
    public void MalformedEntriesAreRefusedWithTheReason(object info, string reason)
    {
        var built = ((Func<BDictionary>)info)();
        Assert.That(Refusal(built), Is.EqualTo(reason));
        // The same reason from a tree built in code (ParseInfo) and from metadata.
        Assert.That(Assert.Throws<MetainfoException>(() => TorrentParser.ParseInfo(built))!.Message, Is.EqualTo(reason));
    }

    [Test]
    public void AHundredThousandFilesParseWithBoundedAllocation()
    {
        const int files = 100_000;
        var bytes = ManyFiles(files);
        TorrentParser.Parse(ManyFiles(10)); // code paths warm
        GC.Collect();
        var before = GC.GetTotalAllocatedBytes(precise: true);
        var clock = Stopwatch.StartNew();
        var torrent = TorrentParser.Parse(bytes);
        var elapsed = clock.Elapsed;
        var allocated = GC.GetTotalAllocatedBytes(precise: true) - before;
        TestContext.Out.WriteLine($"{bytes.Length / 1e6:F1} MB .torrent of {files} files parsed in {elapsed.TotalMilliseconds:F0} ms, {allocated / 1e6:F1} MB allocated");

        Assert.That(torrent.Files, Has.Count.EqualTo(files));
        Assert.That(torrent.Files[^1].DisplayPath, Is.EqualTo("d0099/f099999.bin"));
        Assert.That(torrent.Files[^1].Offset, Is.EqualTo((files - 1) * 1000L));
        // The files themselves (record, segments, name, joined path) take ~25 MB; building the whole tree took ~160 MB.
        Assert.That(allocated, Is.LessThan(45_000_000));
    }

    /// <summary>A torrent of <paramref name="files"/> files of 1000 bytes in directories of 1,000, written straight as bencode.</summary>
    private static byte[] ManyFiles(int files)
    {
        var stream = new MemoryStream();
        void Write(string text) => stream.Write(Encoding.ASCII.GetBytes(text));
        Write("d4:infod5:filesl");
        for (var i = 0; i < files; i++)
            Write($"d6:lengthi1000e4:pathl5:d{i / 1000:0000}11:f{i:000000}.binee");
        var pieceLength = 1 << 18;
        var pieces = (int)(((long)files * 1000 + pieceLength - 1) / pieceLength);
        Write($"e4:name4:many12:piece lengthi{pieceLength}e6:pieces{pieces * 20}:");
        stream.Write(new byte[pieces * 20]);
        Write("ee");
        return stream.ToArray();
    }
}
