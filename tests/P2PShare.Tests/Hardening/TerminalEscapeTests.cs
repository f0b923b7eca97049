using P2PShare.Bencode;
using P2PShare.Cli.Progress;
using P2PShare.Metainfo;
using P2PShare.Tests.Cli;
using P2PShare.Tests.Metainfo;
using P2PShare.Tests.Support;

namespace P2PShare.Tests.Hardening;

/// <summary>
/// Names with terminal escapes (probe finding on 297d351: a torrent named "a ESC]0;TITLE BEL ESC[31m RED" changed the
/// terminal title and colours through download's status lines and reached the log raw; files were created with
/// newlines, CR, tabs, BEL, DEL and ESC in their names).
/// </summary>
[TestFixture]
[NonParallelizable]
public sealed class TerminalEscapeTests
{
    private const string HostileName = "a\u001b]0;TITLE\u0007\u001b[31mRED\r\n\t\u007f\u009b2Jz";

    private static bool HasUnsafe(string text) => text.Any(c => c != '\n' && c != '\r' && DisplayText.IsUnsafe(c));

    [TestCase("\u001b[31m", TestName = "ESC")]
    [TestCase("\u0007", TestName = "BEL")]
    [TestCase("\u009b", TestName = "CSI (C1)")]
    [TestCase("\u007f", TestName = "DEL")]
    [TestCase("line\nbreak\r", TestName = "newline and CR")]
    [TestCase("\u202Eevil", TestName = "bidi override")]
    public void DisplayTextReplacesEveryUnsafeCharacter(string hostile)
    {
        var shown = DisplayText.OneLine("x" + hostile + "y");
        Assert.That(shown.Any(DisplayText.IsUnsafe), Is.False, shown);
        Assert.That(shown, Does.StartWith("x").And.EndWith("y"));
        Assert.That(shown.Length, Is.EqualTo(hostile.Length + 2), "one for one, so widths stay predictable");
    }

    [Test]
    public void PlainTextIsReturnedAsIs()
    {
        const string plain = "Ubuntu 24.04 — ñ 日本語.iso";
        Assert.That(DisplayText.OneLine(plain), Is.SameAs(plain));
    }

    [Test]
    public void ControlCharactersInNamesBecomeUnderscoresOnDiskButTheInfoHashIsUnchanged()
    {
        var info = TorrentBuilder.MultiFileInfo((["dir\u001b[2J", "file\n\u0007.bin"], 10), (["ok.bin"], 5));
        info["name"] = new BString(HostileName);

        var torrent = TorrentParser.Parse(TorrentBuilder.Torrent(info));

        Assert.Multiple(() =>
        {
            Assert.That(torrent.Name.Any(char.IsControl), Is.False, torrent.Name);
            Assert.That(torrent.Name, Does.StartWith("a_]0;TITLE__[31mRED"));
            Assert.That(torrent.Files[0].PathSegments, Is.EqualTo(new[] { "dir_[2J", "file__.bin" }));
            Assert.That(torrent.InfoHash.Hex, Is.EqualTo(TorrentBuilder.InfoHashHex(info)));
        });
    }

    [Test]
    public void StatusAndMessageLinesCarryNoEscapes()
    {
        var output = new StringWriter();
        var progress = new ConsoleProgress(output, isTerminal: true, TimeProvider.System);
        progress.Message($"Download complete and verified: {HostileName}");
        progress.Checking(HostileName, 0.5);
        Assert.That(output.ToString().Contains('\u001b') || output.ToString().Contains('\u0007'), Is.False, output.ToString());
    }

    [Test]
    public void LogLinesCarryNoEscapesEvenInExceptionMessages()
    {
        var formatter = new P2PShare.Cli.SafeTextFormatter(P2PShare.Cli.SafeTextFormatter.FileTemplate);
        var parser = new Serilog.Parsing.MessageTemplateParser();
        var logEvent = new Serilog.Events.LogEvent(DateTimeOffset.Now, Serilog.Events.LogEventLevel.Error,
            new IOException($"bad {HostileName}"), parser.Parse("Torrent {Name} failed"),
            [new Serilog.Events.LogEventProperty("Name", new Serilog.Events.ScalarValue(HostileName))]);
        var output = new StringWriter();

        formatter.Format(logEvent, output);

        var text = output.ToString();
        Assert.That(HasUnsafe(text), Is.False, text);
        Assert.That(text, Does.Contain("TITLE").And.Contain("RED"));
    }

    [Test, CancelAfter(60_000)]
    public async Task DownloadOfAHostileNameKeepsConsoleLogAndFileNamesClean()
    {
        await using var work = new TempDirectory();
        var info = TorrentBuilder.SingleFileInfo(length: 1000, name: HostileName);
        var torrentPath = work.Combine("hostile.torrent");
        // No announce key: nothing may be contacted.
        File.WriteAllBytes(torrentPath, BencodeEncoder.Encode(new BDictionary { ["info"] = info }));

        var result = await CliRunner.RunAsync(work.Path, "download", torrentPath, "-o", work.Combine("out"), "--no-dht", "--port", "0",
            "--give-up-after", "1", "--verbose");

        var log = File.ReadAllText(work.Combine("cli.log"));
        TestContext.Out.WriteLine($"exit {result.ExitCode}\n{result.Stdout}\n{result.Stderr}");
        Assert.Multiple(() =>
        {
            Assert.That(result.Stdout, Does.Contain("TITLE"), "the name is shown");
            Assert.That(HasUnsafe(result.Stdout), Is.False, "stdout");
            Assert.That(HasUnsafe(result.Stderr), Is.False, "stderr");
            Assert.That(HasUnsafe(log), Is.False, "log file");
        });
    }
}
