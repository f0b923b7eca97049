using P2PShare.Bencode;
using P2PShare.Cli;

namespace P2PShare.Tests.Storage;

[TestFixture]
public sealed class VerifyCommandTests
{
    private TempDirectory _temp = null!;

    [SetUp]
    public void SetUp() => _temp = new TempDirectory();

    [TearDown]
    public void TearDown() => _temp.Dispose();

    private Task<int> RunAsync(params string[] args) =>
        CliApplication.RunAsync([.. args, "--log-file", Path.Combine(_temp.Path, "log.txt")]);

    [Test]
    public async Task ExitsZeroOnlyWhenTheDataIsComplete()
    {
        var files = new[] { new TestFile("a", TestTorrents.RandomBytes(51, 5000)), new TestFile("b", TestTorrents.RandomBytes(52, 700)) };
        var (torrent, _) = TestTorrents.Build("v", 1024, files);
        var torrentPath = Path.Combine(_temp.Path, "v.torrent");
        await File.WriteAllBytesAsync(torrentPath, BencodeEncoder.Encode(new BDictionary { ["info"] = BencodeDecoder.Decode(torrent.InfoBytes) }));
        var data = Path.Combine(_temp.Path, "data");
        Directory.CreateDirectory(data);

        Assert.That(await RunAsync("verify", torrentPath, "--data", data), Is.EqualTo(CliHost.ExitFailure), "nothing downloaded");
        TestTorrents.WriteContent(torrent, data, files);
        Assert.That(await RunAsync("verify", torrentPath, "--data", data), Is.EqualTo(CliHost.ExitOk), "complete");
        File.WriteAllBytes(Path.Combine(data, "v", "b"), new byte[700]);
        Assert.That(await RunAsync("verify", torrentPath, "--data", data, "--threads", "1"), Is.EqualTo(CliHost.ExitFailure), "one file damaged");
        Assert.That(await RunAsync("verify", torrentPath, "--data", Path.Combine(_temp.Path, "nope")), Is.EqualTo(CliHost.ExitBadInput));
    }
}
