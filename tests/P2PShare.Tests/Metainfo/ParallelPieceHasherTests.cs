using System.Collections.Concurrent;
using System.Security.Cryptography;
using P2PShare.Metainfo.Hashing;

namespace P2PShare.Tests.Metainfo;

[TestFixture]
public sealed class ParallelPieceHasherTests
{
    private string _dir = null!;

    [SetUp]
    public void SetUp()
    {
        _dir = Path.Combine(Path.GetTempPath(), "p2pshare-hasher-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(_dir);
    }

    [TearDown]
    public void TearDown() => Directory.Delete(_dir, recursive: true);

    private string WriteFile(string name, byte[] content)
    {
        var path = Path.Combine(_dir, name);
        File.WriteAllBytes(path, content);
        return path;
    }

    private static byte[] RandomBytes(Random random, int length)
    {
        var bytes = new byte[length];
        random.NextBytes(bytes);
        return bytes;
    }

    /// <summary>The reference: SHA-1 of each slice of the concatenation, computed the obvious way.</summary>
    private static string[] NaiveHashes(byte[] all, int pieceLength)
    {
        var hashes = new List<string>();
        for (var offset = 0; offset < all.Length; offset += pieceLength)
            hashes.Add(Convert.ToHexString(SHA1.HashData(all.AsSpan(offset, Math.Min(pieceLength, all.Length - offset)))));
        return [.. hashes];
    }

    private static async Task<string?[]> HashAsync(
        IReadOnlyList<HashSource> sources, int pieceLength, bool tolerateMissing = false, int? parallelism = null,
        IProgress<long>? progress = null)
    {
        var results = new ConcurrentDictionary<int, string>();
        var calls = 0;
        await ParallelPieceHasher.HashAsync(sources, pieceLength, (index, hash) =>
        {
            Interlocked.Increment(ref calls);
            Assert.That(results.TryAdd(index, hash.IsEmpty ? "" : Convert.ToHexString(hash)), Is.True, $"piece {index} reported twice");
        }, progress, tolerateMissing, CancellationToken.None, parallelism);
        var count = results.IsEmpty ? 0 : results.Keys.Max() + 1;
        Assert.That(calls, Is.EqualTo(count), "every piece exactly once");
        return [.. Enumerable.Range(0, count).Select(i => results.TryGetValue(i, out var h) ? (h.Length == 0 ? null : h) : "<not reported>")];
    }

    [TestCase(1, 16384, 1)]
    [TestCase(16384, 16384, 2)]
    [TestCase(16385, 16384, 2)]
    [TestCase(5_000_000, 16384, 3)]       // several chunks of many pieces, last piece short
    [TestCase(9_000_001, 4 * 1024 * 1024, 2)] // one piece per chunk
    [TestCase(3_000_000, 1_000_003, 4)]    // piece length not a power of two
    [TestCase(100_000, 6 * 1024 * 1024, 1)] // piece larger than the data
    public async Task SingleFileMatchesNaiveHashes(int size, int pieceLength, int parallelism)
    {
        var content = RandomBytes(new Random(size), size);
        var path = WriteFile("a.bin", content);
        var hashes = await HashAsync([new HashSource(path, size)], pieceLength, parallelism: parallelism);
        Assert.That(hashes, Is.EqualTo(NaiveHashes(content, pieceLength)));
    }

    [Test]
    public async Task PiecesSpanFilesPaddingAndEmptyFiles()
    {
        var random = new Random(7);
        var a = RandomBytes(random, 20_000);
        var b = RandomBytes(random, 0);
        var c = RandomBytes(random, 50_001);
        var d = RandomBytes(random, 3);
        var sources = new[]
        {
            new HashSource(WriteFile("a", a), a.Length),
            new HashSource(WriteFile("b", b), b.Length),
            new HashSource(null, 12_768), // padding to the next piece boundary
            new HashSource(WriteFile("c", c), c.Length),
            new HashSource(WriteFile("d", d), d.Length),
        };
        byte[] all = [.. a, .. b, .. new byte[12_768], .. c, .. d];
        var hashes = await HashAsync(sources, 16384, parallelism: 2);
        Assert.That(hashes, Is.EqualTo(NaiveHashes(all, 16384)));
    }

    [Test]
    public async Task OnlyReadsTheDeclaredLengthOfALongerFile()
    {
        var content = RandomBytes(new Random(3), 40_000);
        var hashes = await HashAsync([new HashSource(WriteFile("long", content), 30_000)], 16384);
        Assert.That(hashes, Is.EqualTo(NaiveHashes(content[..30_000], 16384)));
    }

    [Test]
    public async Task NoSourcesOrOnlyEmptyFilesReportNothing()
    {
        Assert.That(await HashAsync([], 16384), Is.Empty);
        Assert.That(await HashAsync([new HashSource(WriteFile("e", []), 0)], 16384), Is.Empty);
    }

    [Test]
    public async Task MissingFileMarksOnlyOverlappingPiecesWhenTolerated()
    {
        var random = new Random(11);
        var a = RandomBytes(random, 3 * 16384 + 100);    // pieces 0-3 (piece 3 shared with b)
        var b = RandomBytes(random, 2 * 16384);          // missing: bytes 49252..82019 → pieces 3..5
        var c = RandomBytes(random, 4 * 16384);          // pieces 5..8
        var sources = new[]
        {
            new HashSource(WriteFile("a", a), a.Length),
            new HashSource(Path.Combine(_dir, "absent", "b"), b.Length),
            new HashSource(WriteFile("c", c), c.Length),
        };
        byte[] all = [.. a, .. b, .. c];
        var expected = NaiveHashes(all, 16384).Select(h => (string?)h).ToArray();
        expected[3] = expected[4] = expected[5] = null;

        var hashes = await HashAsync(sources, 16384, tolerateMissing: true, parallelism: 2);

        Assert.That(hashes, Is.EqualTo(expected));
    }

    [Test]
    public async Task ShortFileMarksPiecesFromWhereItEndsWhenTolerated()
    {
        var random = new Random(12);
        var a = RandomBytes(random, 5 * 16384);
        var b = RandomBytes(random, 16384);
        var onDisk = a[..(2 * 16384 + 1)]; // truncated inside piece 2
        var sources = new[] { new HashSource(WriteFile("a", onDisk), a.Length), new HashSource(WriteFile("b", b), b.Length) };
        var expected = NaiveHashes([.. a, .. b], 16384).Select(h => (string?)h).ToArray();
        expected[2] = expected[3] = expected[4] = null;

        var hashes = await HashAsync(sources, 16384, tolerateMissing: true);

        Assert.That(hashes, Is.EqualTo(expected));
    }

    [Test]
    public void MissingFileThrowsWhenNotTolerated()
    {
        var path = Path.Combine(_dir, "nope.bin");
        var e = Assert.ThrowsAsync<FileNotFoundException>(() => HashAsync([new HashSource(path, 10)], 16384));
        Assert.That(e!.Message, Does.Contain(path));
    }

    [Test]
    public void ShortFileThrowsWhenNotTolerated()
    {
        var path = WriteFile("short", new byte[100]);
        var e = Assert.ThrowsAsync<IOException>(() => HashAsync([new HashSource(path, 101)], 16384));
        Assert.That(e!.Message, Is.EqualTo($"'{path}' is shorter than expected: 100 bytes, expected 101"));
    }

    [Test]
    public async Task ManySmallFilesAreClosedAsSoonAsTheyAreRead()
    {
        // A torrent of thousands of files must not hold thousands of descriptors open (the usual limit is 1024).
        var random = new Random(21);
        var sources = new List<HashSource>();
        var all = new List<byte>();
        for (var i = 0; i < 1500; i++)
        {
            var content = RandomBytes(random, random.Next(1, 3000));
            sources.Add(new HashSource(WriteFile($"f{i:D4}", content), content.Length));
            all.AddRange(content);
        }
        var mostOpen = 0;
        var results = new ConcurrentDictionary<int, string>();
        await ParallelPieceHasher.HashAsync(sources, 16384, (index, hash) =>
        {
            var open = new DirectoryInfo("/proc/self/fd").EnumerateFileSystemInfos()
                .Count(fd => fd.LinkTarget?.StartsWith(_dir, StringComparison.Ordinal) == true);
            lock (results)
                mostOpen = Math.Max(mostOpen, open);
            results[index] = Convert.ToHexString(hash);
        }, null, tolerateMissing: false, CancellationToken.None, degreeOfParallelism: 2);

        Assert.That(Enumerable.Range(0, results.Count).Select(i => results[i]), Is.EqualTo(NaiveHashes([.. all], 16384)));
        Assert.That(mostOpen, Is.LessThanOrEqualTo(4), "files open at once while hashing");
        var leftOpen = new DirectoryInfo("/proc/self/fd").EnumerateFileSystemInfos()
            .Count(fd => fd.LinkTarget?.StartsWith(_dir, StringComparison.Ordinal) == true);
        Assert.That(leftOpen, Is.Zero, "files still open after the run");
    }

    [Test]
    public async Task ReportsProgressUpToTheTotal()
    {
        var path = WriteFile("p", RandomBytes(new Random(1), 10_000_000));
        var max = 0L;
        var progress = new SynchronousProgress(v => { lock (this) max = Math.Max(max, v); });
        await HashAsync([new HashSource(path, 10_000_000)], 65536, progress: progress);
        Assert.That(max, Is.EqualTo(10_000_000));
    }

    [Test]
    public void CallbackExceptionStopsTheRunAndSurfaces()
    {
        var path = WriteFile("x", RandomBytes(new Random(2), 20_000_000));
        var e = Assert.ThrowsAsync<InvalidOperationException>(() => ParallelPieceHasher.HashAsync(
            [new HashSource(path, 20_000_000)], 16384, (i, _) => { if (i == 5) throw new InvalidOperationException("boom"); },
            null, false, CancellationToken.None, 2));
        Assert.That(e!.Message, Is.EqualTo("boom"));
    }

    [Test]
    public void CancellationIsObserved()
    {
        var path = WriteFile("y", RandomBytes(new Random(4), 20_000_000));
        using var cts = new CancellationTokenSource();
        Assert.CatchAsync<OperationCanceledException>(() => ParallelPieceHasher.HashAsync(
            [new HashSource(path, 20_000_000)], 16384, (i, _) => { if (i == 3) cts.Cancel(); },
            null, false, cts.Token, 2));
    }

    private sealed class SynchronousProgress(Action<long> report) : IProgress<long>
    {
        public void Report(long value) => report(value);
    }
}
