using System.Text.Json;
using P2PShare.Metainfo;

namespace P2PShare.Tests.Cli;

[TestFixture]
[NonParallelizable]
public sealed class InfoAndCreateCommandTests
{
    private string _dir = null!;

    [SetUp]
    public void SetUp()
    {
        _dir = Path.Combine(Path.GetTempPath(), "p2pshare-cli-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(_dir);
    }

    [TearDown]
    public void TearDown() => Directory.Delete(_dir, recursive: true);

    private Task<CliRunner.Result> Run(params string[] args) => CliRunner.RunAsync(_dir, args);

    private string Write(string relative, int length)
    {
        var path = Path.Combine(_dir, relative);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var bytes = new byte[length];
        new Random(length).NextBytes(bytes);
        File.WriteAllBytes(path, bytes);
        return path;
    }

    [Test]
    public async Task CreateThenInfoJsonDescribesTheTorrent()
    {
        Write("share/one.bin", 40_000);
        Write("share/sub/two.bin", 1);
        Write("share/sub/empty", 0);
        var output = Path.Combine(_dir, "share.torrent");

        var create = await Run("create", Path.Combine(_dir, "share"), "-o", output, "--tracker", "http://t1/announce",
            "--tracker", "udp://t2:1/announce", "--piece-size", "32", "--private", "--comment", "hello", "--web-seed", "http://ws/");
        Assert.That(create.ExitCode, Is.EqualTo(0), create.Stderr);
        var expected = TorrentParser.Parse(File.ReadAllBytes(output));
        Assert.That(create.Stdout, Does.Contain($"info-hash {expected.InfoHash.Hex}"));

        var info = await Run("info", output, "--json");
        Assert.That(info.ExitCode, Is.EqualTo(0), info.Stderr);
        var json = JsonDocument.Parse(info.Stdout).RootElement;
        Assert.Multiple(() =>
        {
            Assert.That(json.GetProperty("name").GetString(), Is.EqualTo("share"));
            Assert.That(json.GetProperty("infoHash").GetString(), Is.EqualTo(expected.InfoHash.Hex));
            Assert.That(json.GetProperty("infoHashBase32").GetString(), Is.EqualTo(expected.InfoHash.Base32));
            Assert.That(json.GetProperty("totalSize").GetInt64(), Is.EqualTo(40_001));
            Assert.That(json.GetProperty("pieceLength").GetInt32(), Is.EqualTo(32768));
            Assert.That(json.GetProperty("pieceCount").GetInt32(), Is.EqualTo(2));
            Assert.That(json.GetProperty("private").GetBoolean(), Is.True);
            Assert.That(json.GetProperty("comment").GetString(), Is.EqualTo("hello"));
            Assert.That(json.GetProperty("trackerTiers").EnumerateArray().Select(t => t.EnumerateArray().Single().GetString()),
                Is.EqualTo(new[] { "http://t1/announce", "udp://t2:1/announce" }));
            Assert.That(json.GetProperty("webSeeds").EnumerateArray().Select(t => t.GetString()), Is.EqualTo(new[] { "http://ws/" }));
            Assert.That(json.GetProperty("files").EnumerateArray().Select(f => (f.GetProperty("path").GetString(), f.GetProperty("length").GetInt64())),
                Is.EqualTo(new[] { ("one.bin", 40_000L), ("sub/empty", 0L), ("sub/two.bin", 1L) }));
            Assert.That(MagnetLink.Parse(json.GetProperty("magnet").GetString()!).InfoHash, Is.EqualTo(expected.InfoHash));
        });
    }

    [Test]
    public async Task InfoTextShowsTheMainFields()
    {
        var output = Path.Combine(_dir, "f.torrent");
        Write("f.bin", 5);
        Assert.That((await Run("create", Path.Combine(_dir, "f.bin"), "-o", output, "-t", "http://t/a")).ExitCode, Is.EqualTo(0));
        var hash = TorrentParser.Parse(File.ReadAllBytes(output)).InfoHash;

        var info = await Run("info", output);

        Assert.That(info.ExitCode, Is.EqualTo(0));
        Assert.That(info.Stdout, Does.Contain($"Info-hash:   {hash.Hex}").And.Contain(hash.Base32)
            .And.Contain("Name:        f.bin").And.Contain("Total size:  5 B (5 bytes)").And.Contain("Pieces:      1 × 16.0 KiB (16384 bytes)")
            .And.Contain("tier 0: http://t/a").And.Contain("Private:     no").And.Contain("Magnet:      magnet:?xt=urn:btih:" + hash.Hex)
            .And.Contain("  f.bin  5 B (5 bytes)"));
    }

    [Test]
    public async Task InfoReadsMagnetLinks()
    {
        var info = await Run("info", "magnet:?xt=urn:btih:2JDU5BWJLMM3RPH5XEV4CLE5IRTHZ6RW&dn=Leaves&tr=udp%3A%2F%2Ft%3A1", "--json");
        Assert.That(info.ExitCode, Is.EqualTo(0), info.Stderr);
        var json = JsonDocument.Parse(info.Stdout).RootElement;
        Assert.That(json.GetProperty("infoHash").GetString(), Is.EqualTo("d2474e86c95b19b8bcfdb92bc12c9d44667cfa36"));
        Assert.That(json.GetProperty("name").GetString(), Is.EqualTo("Leaves"));
        Assert.That(json.GetProperty("trackers")[0].GetString(), Is.EqualTo("udp://t:1"));
    }

    [Test]
    public async Task ErrorsAreOneLineWithExitCode2()
    {
        var bad = Path.Combine(_dir, "bad.torrent");
        File.WriteAllText(bad, "d4:infoi1ee");
        var result = await Run("info", bad);
        Assert.That(result.ExitCode, Is.EqualTo(2));
        Assert.That(result.Stderr, Is.EqualTo($"p2pshare: error: {bad}: torrent has no 'info' dictionary" + Environment.NewLine));
        Assert.That(result.Stdout, Is.Empty);

        var missing = await Run("info", Path.Combine(_dir, "none.torrent"));
        Assert.That(missing.ExitCode, Is.EqualTo(2));
        Assert.That(missing.Stderr.TrimEnd().Split('\n'), Has.Length.EqualTo(1));

        var magnet = await Run("info", "magnet:?dn=x");
        Assert.That(magnet.ExitCode, Is.EqualTo(2));
        Assert.That(magnet.Stderr, Does.StartWith("p2pshare: error: magnet link has no 'xt=urn:btih:' info-hash"));
    }

    [Test]
    public async Task VerboseAddsTheStackTrace()
    {
        var bad = Path.Combine(_dir, "bad.torrent");
        File.WriteAllText(bad, "x");
        var result = await Run("info", bad, "--verbose");
        Assert.That(result.ExitCode, Is.EqualTo(2));
        Assert.That(result.Stderr, Does.Contain("   at P2PShare."));
    }

    [Test]
    public async Task CreateRefusesToOverwriteWithoutForce()
    {
        Write("a.bin", 100);
        var output = Path.Combine(_dir, "a.torrent");
        File.WriteAllText(output, "keep me");
        var refused = await Run("create", Path.Combine(_dir, "a.bin"), "-o", output);
        Assert.That(refused.ExitCode, Is.EqualTo(2));
        Assert.That(refused.Stderr, Is.EqualTo($"p2pshare: error: '{output}' already exists (use --force to overwrite it)" + Environment.NewLine));
        Assert.That(File.ReadAllText(output), Is.EqualTo("keep me"));

        var forced = await Run("create", Path.Combine(_dir, "a.bin"), "-o", output, "--force");
        Assert.That(forced.ExitCode, Is.EqualTo(0), forced.Stderr);
        Assert.That(TorrentParser.Parse(File.ReadAllBytes(output)).TotalLength, Is.EqualTo(100));
    }

    [TestCase("--piece-size", "24", "--piece-size 24: piece size must be a power of two")]
    [TestCase("--piece-size", "8", "--piece-size 8: piece size must be between 16 KiB and 65536 KiB")]
    [TestCase("--tracker", "not a url", "'not a url' is not an http(s)://, udp:// or ws(s):// URL")]
    public async Task CreateRefusesBadOptions(string option, string value, string message)
    {
        Write("a.bin", 100);
        var result = await Run("create", Path.Combine(_dir, "a.bin"), "-o", Path.Combine(_dir, "a.torrent"), option, value);
        Assert.That(result.ExitCode, Is.EqualTo(2));
        Assert.That(result.Stderr, Is.EqualTo($"p2pshare: error: {message}" + Environment.NewLine));
        Assert.That(File.Exists(Path.Combine(_dir, "a.torrent")), Is.False);
    }

    [Test]
    public async Task CreateInsideTheSourceLeavesTheOutputOut()
    {
        Write("share/a.bin", 100);
        var output = Path.Combine(_dir, "share", "share.torrent");
        File.WriteAllText(output, "old");
        var result = await Run("create", Path.Combine(_dir, "share"), "-o", output, "--force");
        Assert.That(result.ExitCode, Is.EqualTo(0), result.Stderr);
        Assert.That(result.Stderr, Does.Contain("warning: 'share.torrent' is the output torrent and is left out"));
        Assert.That(TorrentParser.Parse(File.ReadAllBytes(output)).Files.Select(f => f.DisplayPath), Is.EqualTo(new[] { "a.bin" }));
    }

    [Test]
    public async Task CreateReportsAPlainLineWhenNotATerminal()
    {
        Write("a.bin", 100);
        var result = await Run("create", Path.Combine(_dir, "a.bin"), "-o", Path.Combine(_dir, "a.torrent"));
        Assert.That(result.ExitCode, Is.EqualTo(0));
        Assert.That(result.Stderr, Is.EqualTo("hashing 1 file(s), 100 bytes, 1 pieces of 16 KiB" + Environment.NewLine));
    }
}
