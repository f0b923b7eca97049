using System.Text.Json;
using P2PShare.Bencode;
using P2PShare.Cli;
using static P2PShare.Tests.Trackers.TrackerTestData;

namespace P2PShare.Tests.Trackers;

/// <summary>'p2pshare announce' end to end against fake trackers.</summary>
[NonParallelizable] // redirects Console.Out
public class AnnounceCommandTests
{
    private string _directory = null!;

    [SetUp]
    public void SetUp() => _directory = Directory.CreateTempSubdirectory("p2pshare-announce-").FullName;

    [TearDown]
    public void TearDown() => Directory.Delete(_directory, recursive: true);

    private string WriteTorrent(params string[][] tiers)
    {
        var info = new BDictionary
        {
            ["name"] = new BString("file.bin"),
            ["piece length"] = new BInteger(16384),
            ["pieces"] = new BString(new byte[20]),
            ["length"] = new BInteger(1000),
        };
        var announceList = new BList(tiers.Select(tier => (BValue)new BList(tier.Select(url => (BValue)new BString(url)))));
        var root = new BDictionary { ["announce"] = new BString(tiers[0][0]), ["announce-list"] = announceList, ["info"] = info };
        var path = Path.Combine(_directory, "t.torrent");
        File.WriteAllBytes(path, BencodeEncoder.Encode(root));
        return path;
    }

    private async Task<(int ExitCode, string Output)> RunAsync(params string[] args)
    {
        var previous = Console.Out;
        var output = new StringWriter();
        Console.SetOut(output);
        try
        {
            var exitCode = await CliApplication.RunAsync([.. args, "--log-file", Path.Combine(_directory, "log.txt")]).WaitAsync(TimeSpan.FromSeconds(60));
            return (exitCode, output.ToString());
        }
        finally
        {
            Console.SetOut(previous);
        }
    }

    [Test]
    public async Task PrintsEachTrackersAnswerAsJsonAndSendsStartedThenStopped()
    {
        var body = Encode(("interval", new BInteger(1800)), ("complete", new BInteger(2)), ("incomplete", new BInteger(3)), ("peers", CompactPeers("127.0.0.2:6000", "127.0.0.3:6001")));
        await using var good = FakeHttpTracker.Answering(body);
        await using var refusing = FakeHttpTracker.Answering(Encode(("failure reason", new BString("unregistered torrent"))));
        var torrent = WriteTorrent([good.AnnounceUrl], [refusing.AnnounceUrl, "wss://tracker.example/announce"]);

        var (exitCode, output) = await RunAsync("announce", torrent, "--port", "7001", "--json");

        Assert.That(exitCode, Is.EqualTo(CliHost.ExitOk), output);
        using var json = JsonDocument.Parse(output);
        var results = json.RootElement.EnumerateArray().ToList();
        Assert.That(results, Has.Count.EqualTo(3));
        Assert.That(results[0].GetProperty("ok").GetBoolean(), Is.True);
        Assert.That(results[0].GetProperty("peerCount").GetInt32(), Is.EqualTo(2));
        Assert.That(results[0].GetProperty("seeders").GetInt32(), Is.EqualTo(2));
        Assert.That(results[0].GetProperty("leechers").GetInt32(), Is.EqualTo(3));
        Assert.That(results[0].GetProperty("intervalSeconds").GetInt32(), Is.EqualTo(1800));
        Assert.That(results[1].GetProperty("ok").GetBoolean(), Is.False);
        Assert.That(results[1].GetProperty("error").GetString(), Does.Contain("unregistered torrent"));
        Assert.That(results[2].GetProperty("error").GetString(), Does.Contain("unsupported"));
        var requests = good.Requests.ToArray();
        Assert.That(requests, Has.Length.EqualTo(2));
        Assert.That(requests[0], Does.Contain("event=started").And.Contain("port=7001"));
        Assert.That(requests[1], Does.Contain("event=stopped"));
        Assert.That(refusing.Requests.Count(r => r.Contains("event=stopped")), Is.Zero, "no 'stopped' where 'started' failed");
    }

    [Test]
    public async Task TextOutputAndFailureExitCodeWhenNoTrackerAnswers()
    {
        await using var html = FakeHttpTracker.Answering("<html>nope</html>"u8.ToArray());
        var torrent = WriteTorrent([html.AnnounceUrl]);
        var (exitCode, output) = await RunAsync("trackers", torrent);
        Assert.That(exitCode, Is.EqualTo(CliHost.ExitFailure));
        Assert.That(output, Does.Contain("tier 1  " + html.AnnounceUrl).And.Contain("failed: ").And.Contain("<html>nope"));
    }

    [Test]
    public async Task BadPortIsBadInput()
    {
        var torrent = WriteTorrent(["http://127.0.0.1:1/announce"]);
        var (exitCode, _) = await RunAsync("announce", torrent, "--port", "0");
        Assert.That(exitCode, Is.EqualTo(CliHost.ExitBadInput));
    }
}
