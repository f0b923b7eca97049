using P2PShare.Cli;
using P2PShare.Cli.Progress;
using P2PShare.Engine;
using P2PShare.Hosting;
using P2PShare.Tests.Metainfo;
using P2PShare.Tests.Support;

namespace P2PShare.Tests.Cli.Install;

/// <summary>Bad input of every kind (parse errors included) is one line on stderr and exit 2; the status line shows live rates only.</summary>
[TestFixture]
[NonParallelizable]
public sealed class ExitCodeAndParseErrorTests
{
    [TestCase(new[] { "download", "x.torrent", "--max-download-rate", "2X" }, "--max-download-rate '2X': unknown unit 'X'")]
    [TestCase(new[] { "seed", "x.torrent", "-d", ".", "--max-upload-rate", "fast" }, "--max-upload-rate 'fast': not a size")]
    [TestCase(new[] { "download", "x.torrent", "--max-peers", "many" }, "many")]
    [TestCase(new[] { "info" }, "Required argument missing")]
    [TestCase(new[] { "create", "x", "-o", "y.torrent", "-p", "1.5K" }, "--piece-size '1.5K': must be a whole number of KiB")]
    [TestCase(new[] { "nosuchcommand", "--what" }, "nosuchcommand")]
    [TestCase(new[] { "download", "x.torrent", "--disk-queue-size", "lots" }, "--disk-queue-size 'lots': not a size")]
    [TestCase(new[] { "download", "x.torrent", "--disk-queue-size=-5M" }, "--disk-queue-size '-5M': not a size")]
    [TestCase(new[] { "seed", "x.torrent", "-d", ".", "--disk-queue-size", "16Q" }, "--disk-queue-size '16Q': unknown unit 'Q'")]
    [TestCase(new[] { "download", "x.torrent", "--disk-queue-size", "" }, "--disk-queue-size '': a size is needed")]
    public async Task Parse_errors_are_one_line_and_exit_2(string[] args, string expected)
    {
        await using var temp = new TempDirectory("p2pshare-parse-");
        var result = await CliRunner.RunAsync(temp.Path, args);

        Assert.That(result.ExitCode, Is.EqualTo(ExitCodes.BadInput), result.Stderr);
        var lines = result.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.That(lines, Has.Length.EqualTo(1), result.Stderr);
        Assert.That(lines[0], Does.StartWith("p2pshare: error: ").And.Contain(expected));
        Assert.That(result.Stdout, Does.Not.Contain("Usage:"), "no help on a mistake");
    }

    [Test]
    public void Units_are_read_into_bytes_per_second()
    {
        var root = CliApplication.BuildRoot();
        var parse = root.Parse(["download", "x.torrent", "--max-download-rate", "1.5MiB", "--max-upload-rate", "500K"]);
        Assert.That(parse.Errors, Is.Empty);
        var download = (System.CommandLine.Command)parse.CommandResult.Command;
        var rate = download.Options.OfType<System.CommandLine.Option<long?>>().Single(o => o.Name == "--max-download-rate");
        var up = download.Options.OfType<System.CommandLine.Option<long?>>().Single(o => o.Name == "--max-upload-rate");
        Assert.That(parse.GetValue(rate), Is.EqualTo(1536L * 1024));
        Assert.That(parse.GetValue(up), Is.EqualTo(500L * 1024));
    }

    /// <summary>--disk-queue-size: a size with or without a unit, at least 1 MiB (the engine's disk queue needs room for a piece).</summary>
    [TestCase("1MiB", 1L << 20)]
    [TestCase("1048576", 1L << 20)]
    [TestCase("16M", 16L << 20)]
    [TestCase("1.5GiB", 3L << 29)]
    public void Disk_queue_size_is_read_into_bytes(string text, long bytes)
    {
        var parse = CliApplication.BuildRoot().Parse(["download", "x.torrent", "--disk-queue-size", text]);

        Assert.That(parse.Errors, Is.Empty);
        var download = (System.CommandLine.Command)parse.CommandResult.Command;
        Assert.That(parse.GetValue(download.Options.OfType<System.CommandLine.Option<long?>>().Single(o => o.Name == "--disk-queue-size")), Is.EqualTo(bytes));
    }

    /// <summary>A size that parses but is under 1 MiB (zero included) is refused before anything starts: one line, exit 2.</summary>
    [TestCase("0", "--disk-queue-size 0 bytes: must be at least 1MiB")]
    [TestCase("1023K", "--disk-queue-size 1047552 bytes: must be at least 1MiB")]
    [TestCase("1048575", "--disk-queue-size 1048575 bytes: must be at least 1MiB")]
    public async Task Disk_queue_size_under_1MiB_is_one_line_and_exit_2(string text, string expected)
    {
        await using var temp = new TempDirectory("p2pshare-diskqueue-");
        var torrent = temp.Combine("t.torrent");
        await File.WriteAllBytesAsync(torrent, TorrentBuilder.Torrent(TorrentBuilder.SingleFileInfo(length: 40_000)));

        var result = await CliRunner.RunAsync(temp.Path, "download", torrent, "-o", temp.Combine("out"), "--no-dht", "--local-only", "--disk-queue-size", text);

        Assert.That(result.ExitCode, Is.EqualTo(ExitCodes.BadInput), result.Stderr);
        var lines = result.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.That(lines, Has.Length.EqualTo(1), result.Stderr);
        Assert.That(lines[0], Is.EqualTo("p2pshare: error: " + expected));
    }

    [Test]
    public async Task A_torrent_with_a_trailing_newline_is_read_with_a_warning()
    {
        await using var temp = new TempDirectory("p2pshare-trailing-");
        var path = temp.Combine("nl.torrent");
        await File.WriteAllBytesAsync(path, [.. TorrentBuilder.Torrent(TorrentBuilder.SingleFileInfo(length: 40_000)), (byte)'\n']);

        var result = await CliRunner.RunAsync(temp.Path, "info", path);

        Assert.That(result.ExitCode, Is.Zero, result.Stderr);
        Assert.That(result.Stderr, Does.Contain("warning").And.Contain("1 byte(s) of whitespace"));
        Assert.That(result.Stdout, Does.Contain("Name:"));
    }

    [Test]
    public void Seeding_shows_the_live_upload_rate_and_no_stale_download_rate()
    {
        var seeding = new TorrentProgress(10, 10, 1000, 1000, 1000, 50, DownloadRate: 123_456, UploadRate: 2048, Peers: 1, Seeds: 0, InEndgame: false);
        var downloading = seeding with { PiecesHave = 5, VerifiedBytes = 500 };
        var idle = seeding with { Peers = 0 };

        Assert.That(ConsoleProgress.Rates(RunPhase.Seeding, seeding), Does.Not.Contain("down").And.Contain("up 2.00 KiB/s"));
        Assert.That(ConsoleProgress.Rates(RunPhase.Downloading, downloading), Does.Contain("down 121 KiB/s").And.Contain("up 2.00 KiB/s"));
        Assert.That(ConsoleProgress.Rates(RunPhase.Seeding, idle), Does.Not.Contain("/s"));
    }
}
