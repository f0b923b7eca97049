using System.Text;
using P2PShare.Bencode;
using P2PShare.Metainfo;
using P2PShare.Tests.Metainfo;
using P2PShare.Tests.Support;

namespace P2PShare.Tests.Hardening;

/// <summary>
/// Huge metainfo (probe finding on 297d351: a 31 MB torrent of 1,000,000 one-byte files took 1,025 MB in info and
/// 1,568 MB in download; a 50 MB comment took 796 MB). Each case must be refused with a clear error, and the bytes
/// allocated while refusing it (measured, printed) must stay under a bound.
/// </summary>
[TestFixture]
[NonParallelizable]
public sealed class HugeMetainfoTests
{
    /// <summary>A torrent of <paramref name="files"/> one-byte files, written straight as bencode (fast, little memory).</summary>
    private static byte[] ManyFiles(int files, int pieceLength = 1 << 20)
    {
        var stream = new MemoryStream();
        void Write(string text) => stream.Write(Encoding.ASCII.GetBytes(text));
        Write("d4:infod5:filesl");
        for (var i = 0; i < files; i++)
        {
            var name = i.ToString("x");
            Write($"d6:lengthi1e4:pathl{name.Length}:{name}ee");
        }
        var pieces = (files + pieceLength - 1) / pieceLength;
        Write($"e4:name4:many12:piece lengthi{pieceLength}e6:pieces{pieces * 20}:");
        stream.Write(new byte[pieces * 20]);
        Write("ee");
        return stream.ToArray();
    }

    private static (MetainfoException Error, long Allocated) Refuse(Func<Task> parse)
    {
        GC.Collect();
        var before = GC.GetTotalAllocatedBytes(precise: true);
        var error = Assert.ThrowsAsync<MetainfoException>(() => parse());
        var allocated = GC.GetTotalAllocatedBytes(precise: true) - before;
        TestContext.Out.WriteLine($"refused after allocating {allocated / 1e6:F1} MB: {error!.Message}");
        return (error, allocated);
    }

    [Test]
    public async Task AMillionFilesTorrentIsRefusedBeforeItIsRead()
    {
        await using var work = new TempDirectory();
        var path = work.Combine("million.torrent");
        await File.WriteAllBytesAsync(path, ManyFiles(1_000_000));
        TestContext.Out.WriteLine($"torrent: {new FileInfo(path).Length / 1e6:F1} MB");

        var (error, allocated) = Refuse(() => TorrentParser.LoadAsync(path, CancellationToken.None));

        Assert.That(error.Message, Does.Contain("too large for a torrent file"));
        Assert.That(allocated, Is.LessThan(1_000_000));
    }

    [Test]
    public async Task AFiftyMegabyteCommentIsRefusedBeforeItIsRead()
    {
        await using var work = new TempDirectory();
        var path = work.Combine("comment.torrent");
        var info = BencodeEncoder.Encode(TorrentBuilder.SingleFileInfo());
        await using (var file = File.Create(path))
        {
            file.Write(Encoding.ASCII.GetBytes($"d7:comment{50_000_000}:"));
            var chunk = new byte[1 << 20];
            chunk.AsSpan().Fill((byte)'x');
            for (var written = 0; written < 50_000_000; written += chunk.Length)
                file.Write(chunk, 0, Math.Min(chunk.Length, 50_000_000 - written));
            file.Write("4:info"u8);
            file.Write(info);
            file.Write("e"u8);
        }

        var (_, allocated) = Refuse(() => TorrentParser.LoadAsync(path, CancellationToken.None));

        Assert.That(allocated, Is.LessThan(1_000_000));
    }

    [Test]
    public void TheLargestTinyFileTorrentUnderTheSizeLimitCostsBoundedMemory()
    {
        // ~19 MB of one-byte files: under the size limit, over the token limit.
        var bytes = ManyFiles(600_000);
        TestContext.Out.WriteLine($"torrent: {bytes.Length / 1e6:F1} MB");
        Assert.That(bytes.Length, Is.LessThan(MetainfoLimits.MaxTorrentFileSize));

        var (error, allocated) = Refuse(() => Task.FromResult(TorrentParser.Parse(bytes)));

        Assert.That(error.Message, Does.Contain("values"));
        Assert.That(allocated, Is.LessThan(260_000_000));
    }

    [Test]
    public void TooManyFilesIsRefusedWithTheLimit()
    {
        var bytes = ManyFiles(MetainfoLimits.MaxFiles + 1);

        var (error, allocated) = Refuse(() => Task.FromResult(TorrentParser.Parse(bytes)));

        Assert.That(error.Message, Does.Contain($"{MetainfoLimits.MaxFiles + 1} files").And.Contain("limit"));
        Assert.That(allocated, Is.LessThan(200_000_000));
    }

    [Test]
    public void ATorrentOfTwentyThousandFilesStillLoads()
    {
        var torrent = TorrentParser.Parse(ManyFiles(20_000));
        Assert.That(torrent.Files, Has.Count.EqualTo(20_000));
    }

    [Test]
    public void DeepPathsAreRefused()
    {
        var deep = Enumerable.Range(0, MetainfoLimits.MaxPathDepth + 1).Select(i => "d").ToArray();
        var error = Assert.Throws<MetainfoException>(() => TorrentParser.Parse(TorrentBuilder.Torrent(TorrentBuilder.MultiFileInfo((deep, 5)))));
        Assert.That(error!.Message, Does.Contain("components"));
    }

    [Test]
    public void LongPathsAreRefused()
    {
        var segments = Enumerable.Range(0, 20).Select(_ => new string('n', 250)).ToArray();
        var error = Assert.Throws<MetainfoException>(() => TorrentParser.Parse(TorrentBuilder.Torrent(TorrentBuilder.MultiFileInfo((segments, 5)))));
        Assert.That(error!.Message, Does.Contain("characters long"));
    }

    [Test]
    public void DeepNestingIsRefused()
    {
        var nested = new string('l', MetainfoLimits.MaxDepth + 1) + new string('e', MetainfoLimits.MaxDepth + 1);
        var bytes = TorrentBuilder.Torrent(TorrentBuilder.SingleFileInfo(), top => top["x"] = BencodeDecoder.Decode(Encoding.ASCII.GetBytes(nested)));
        var error = Assert.Throws<MetainfoException>(() => TorrentParser.Parse(bytes));
        Assert.That(error!.Message, Does.Contain("nesting"));
    }

    [Test]
    public void LongCommentsAndTooManyTrackersAreRefused()
    {
        var comment = TorrentBuilder.Torrent(TorrentBuilder.SingleFileInfo(), top => top["comment"] = new BString(new string('c', MetainfoLimits.MaxTextLength + 1)));
        Assert.That(Assert.Throws<MetainfoException>(() => TorrentParser.Parse(comment))!.Message, Does.Contain("'comment'"));

        var trackers = TorrentBuilder.Torrent(TorrentBuilder.SingleFileInfo(), top => top["announce-list"] =
            new BList(Enumerable.Range(0, MetainfoLimits.MaxUrls + 1).Select(i => (BValue)new BList { new BString($"http://127.0.0.1:{i}/announce") })));
        Assert.That(Assert.Throws<MetainfoException>(() => TorrentParser.Parse(trackers))!.Message, Does.Contain("tracker URLs"));
    }
}
