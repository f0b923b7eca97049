using System.Diagnostics;
using P2PShare.Tests.Support;

namespace P2PShare.Tests.Cli;

/// <summary>'download MAGNET' input errors and the metadata phase's give-up, in-process.</summary>
[TestFixture]
[NonParallelizable]
public sealed class MagnetCommandTests
{
    private string _dir = "";

    [SetUp]
    public void SetUp() => _dir = Directory.CreateTempSubdirectory("p2pshare-magnet-cli-").FullName;

    [TearDown]
    public void TearDown() => Directory.Delete(_dir, recursive: true);

    [TestCase("magnet:?dn=x", "has no 'xt=urn:btih:' info-hash")]
    [TestCase("magnet:?xt=urn:btih:1234", "is neither 40 hex nor 32 base32 characters")]
    [TestCase("magnet:?xt=urn:sha1:abc", "has no 'xt=urn:btih:' info-hash")]
    [TestCase("magnet:?xt", "has no value")]
    public async Task Bad_magnet_is_one_line_error_with_exit_code_2(string magnet, string problem)
    {
        var result = await CliRunner.RunAsync(_dir, "download", magnet, "-o", _dir);
        Assert.That(result.ExitCode, Is.EqualTo(2), result.Stderr);
        Assert.That(result.Stderr, Does.StartWith("p2pshare: error: bad magnet link: ").And.Contain(problem));
        Assert.That(result.Stderr.TrimEnd().Split('\n'), Has.Length.EqualTo(1));
    }

    [Test]
    public async Task Magnet_is_refused_by_seed_with_a_clear_message()
    {
        var result = await CliRunner.RunAsync(_dir, "seed", "magnet:?xt=urn:btih:" + new string('a', 40), "--data", _dir);
        Assert.That(result.ExitCode, Is.EqualTo(2), result.Stderr);
        Assert.That(result.Stderr, Does.Contain("seed needs the .torrent file"));
    }

    [Test]
    public async Task Metadata_phase_gives_up_after_the_given_time_without_peers()
    {
        var nobody = FreePort.Get();
        var clock = Stopwatch.StartNew();
        var result = await CliRunner.RunAsync(_dir, "download", $"magnet:?xt=urn:btih:{new string('b', 40)}&x.pe=127.0.0.1:{nobody}",
            "-o", _dir, "--bind", "127.0.0.1", "--port", "0", "--give-up-after", "2");
        Assert.That(result.ExitCode, Is.EqualTo(1), result.Stderr);
        Assert.That(result.Stderr, Does.StartWith("p2pshare: error: no peer gave the metadata for 2 s"));
        Assert.That(result.Stdout, Does.Contain("Fetching metadata for"));
        Assert.That(clock.Elapsed, Is.LessThan(TimeSpan.FromSeconds(20)));
        Assert.That(Directory.GetFiles(_dir, "*.torrent", SearchOption.AllDirectories), Is.Empty, "nothing is saved without metadata");
    }
}
