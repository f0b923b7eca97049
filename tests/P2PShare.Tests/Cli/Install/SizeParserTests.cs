using P2PShare.Cli.Output;

namespace P2PShare.Tests.Cli.Install;

[TestFixture]
public sealed class SizeParserTests
{
    [TestCase("65536", 65536L)]
    [TestCase("0", 0L)]
    [TestCase("500K", 500L * 1024)]
    [TestCase("500k", 500L * 1024)]
    [TestCase("2M", 2L * 1024 * 1024)]
    [TestCase("1.5MiB", 3L * 512 * 1024)]
    [TestCase("1.5 MiB", 3L * 512 * 1024)]
    [TestCase("1G", 1L << 30)]
    [TestCase("2T", 2L << 40)]
    [TestCase("10kB", 10_000L)]
    [TestCase("3MB", 3_000_000L)]
    [TestCase("512KiB/s", 512L * 1024)]
    [TestCase("100B", 100L)]
    [TestCase(" 4m ", 4L * 1024 * 1024)]
    public void Reads_bytes_and_units(string text, long expected)
    {
        Assert.That(SizeParser.TryParse(text, out var bytes, out var problem), Is.True, problem);
        Assert.That(bytes, Is.EqualTo(expected));
    }

    [TestCase("", "a size is needed")]
    [TestCase("2X", "unknown unit 'X'")]
    [TestCase("M", "not a size")]
    [TestCase("-5K", "not a size")]
    [TestCase("1.2.3K", "not a size")]
    [TestCase("99999999999T", "too large")]
    [TestCase("2MiBs", "unknown unit")]
    public void Refuses_what_is_not_a_size(string text, string problem)
    {
        Assert.That(SizeParser.TryParse(text, out _, out var reason), Is.False);
        Assert.That(reason, Does.Contain(problem));
    }
}
