using System.Net;
using System.Web;
using P2PShare.Bencode;
using P2PShare.Protocol.Tracker;
using static P2PShare.Tests.Trackers.TrackerTestData;

namespace P2PShare.Tests.Trackers;

public class HttpTrackerCodecTests
{
    private static AnnounceParameters Parameters(TrackerEvent trackerEvent = TrackerEvent.Started, string? trackerId = null) =>
        new(Hash(1), PeerId(), 6881, 10, 20, 30, trackerEvent, 80, 0xdeadbeef, trackerId);

    [Test]
    public void AnnounceUrlCarriesEveryFieldAndBinaryFieldsRoundTrip()
    {
        var url = HttpTrackerUrl.BuildAnnounce(new Uri("http://tracker.example:8080/announce"), Parameters(trackerId: "t 1"));
        var query = ParseQueryBytes(url.Query);
        Assert.Multiple(() =>
        {
            Assert.That(url.AbsolutePath, Is.EqualTo("/announce"));
            Assert.That(query["info_hash"], Is.EqualTo(Hash(1).Span.ToArray()));
            Assert.That(query["peer_id"], Is.EqualTo(PeerId()));
            Assert.That(Text(query["port"]), Is.EqualTo("6881"));
            Assert.That(Text(query["uploaded"]), Is.EqualTo("10"));
            Assert.That(Text(query["downloaded"]), Is.EqualTo("20"));
            Assert.That(Text(query["left"]), Is.EqualTo("30"));
            Assert.That(Text(query["compact"]), Is.EqualTo("1"));
            Assert.That(Text(query["numwant"]), Is.EqualTo("80"));
            Assert.That(Text(query["key"]), Is.EqualTo("deadbeef"));
            Assert.That(Text(query["event"]), Is.EqualTo("started"));
            Assert.That(Text(query["trackerid"]), Is.EqualTo("t 1"));
        });
    }

    [Test]
    public void RegularAnnounceOmitsEventAndKeepsAnExistingQuery()
    {
        var url = HttpTrackerUrl.BuildAnnounce(new Uri("https://t.example/a/announce.php?passkey=abc"), Parameters(TrackerEvent.None));
        var query = ParseQueryBytes(url.Query);
        Assert.That(query.ContainsKey("event"), Is.False);
        Assert.That(Text(query["passkey"]), Is.EqualTo("abc"));
        Assert.That(url.Query, Does.StartWith("?passkey=abc&info_hash="));
    }

    [TestCase(TrackerEvent.Completed, "completed")]
    [TestCase(TrackerEvent.Stopped, "stopped")]
    public void EventNames(object trackerEvent, string name) =>   // object: a public test method cannot name the internal enum
        Assert.That(Text(ParseQueryBytes(HttpTrackerUrl.BuildAnnounce(new Uri("http://t/announce"), Parameters((TrackerEvent)trackerEvent)).Query)["event"]), Is.EqualTo(name));

    [Test]
    public void PercentEncodingLeavesOnlyUnreservedCharacters() =>
        Assert.That(HttpTrackerUrl.PercentEncode([0x00, (byte)'a', (byte)'Z', (byte)'~', (byte)' ', (byte)'%', 0xff, (byte)'.']), Is.EqualTo("%00aZ~%20%25%FF."));

    [TestCase("http://t.example/announce", "http://t.example/scrape")]
    [TestCase("http://t.example/x/announce.php?passkey=1", "http://t.example/x/scrape.php?passkey=1")]
    [TestCase("http://t.example/announce?a=b", "http://t.example/scrape?a=b")]
    public void ScrapeUrlFollowsTheConvention(string announce, string scrape)
    {
        Assert.That(HttpTrackerUrl.TryGetScrape(new Uri(announce), out var result), Is.True);
        Assert.That(result!.ToString(), Is.EqualTo(scrape));
    }

    [TestCase("http://t.example/a")]
    [TestCase("http://t.example/announce/x")]
    [TestCase("http://t.example/x/myannounce")]
    public void ScrapeIsRefusedWhenTheUrlDoesNotEndInAnnounce(string announce) =>
        Assert.That(HttpTrackerUrl.TryGetScrape(new Uri(announce), out _), Is.False);

    [Test]
    public void CompactPeersAndPeers6AreRead()
    {
        var body = Encode(
            ("interval", new BInteger(1800)), ("min interval", new BInteger(60)),
            ("complete", new BInteger(5)), ("incomplete", new BInteger(7)),
            ("peers", CompactPeers("10.0.0.1:6881", "192.168.1.2:51413")),
            ("peers6", CompactPeers6("[2001:db8::1]:6882")),
            ("tracker id", new BString("abc")));
        var reply = HttpTrackerResponseParser.ParseAnnounce(body);
        Assert.Multiple(() =>
        {
            Assert.That(reply.IntervalSeconds, Is.EqualTo(1800));
            Assert.That(reply.MinIntervalSeconds, Is.EqualTo(60));
            Assert.That(reply.Complete, Is.EqualTo(5));
            Assert.That(reply.Incomplete, Is.EqualTo(7));
            Assert.That(reply.TrackerId, Is.EqualTo("abc"));
            Assert.That(reply.WarningMessage, Is.Null);
            Assert.That(reply.Peers.Select(p => p.ToString()), Is.EqualTo(new[] { "10.0.0.1:6881", "192.168.1.2:51413", "[2001:db8::1]:6882" }));
        });
    }

    [Test]
    public void DictionaryPeersAreReadAndBadEntriesSkipped()
    {
        var peers = new BList
        {
            Peer("10.1.2.3", 6881), Peer("::1", 7000), Peer("not-an-ip.example", 6881), Peer("10.1.2.4", 0),
            Peer("10.1.2.5", 70000), new BString("junk"),
        };
        var reply = HttpTrackerResponseParser.ParseAnnounce(Encode(("interval", new BInteger(900)), ("peers", peers)));
        Assert.That(reply.Peers, Is.EqualTo(new[] { IPEndPoint.Parse("10.1.2.3:6881"), IPEndPoint.Parse("[::1]:7000") }));
    }

    [Test]
    public void FailureReasonBecomesATrackerFailure()
    {
        var error = Assert.Throws<TrackerFailureException>(() =>
            HttpTrackerResponseParser.ParseAnnounce(Encode(("failure reason", new BString("torrent not registered")))));
        Assert.That(error!.Reason, Is.EqualTo("torrent not registered"));
    }

    [Test]
    public void WarningIsKeptAndControlCharactersRemoved()
    {
        var reply = HttpTrackerResponseParser.ParseAnnounce(Encode(("interval", new BInteger(60)), ("warning message", new BString("slow\r\ndown")), ("peers", new BString(""))));
        Assert.That(reply.WarningMessage, Is.EqualTo("slow  down"));
        Assert.That(reply.Peers, Is.Empty);
    }

    [TestCase("<html><body>502 Bad Gateway</body></html>")]
    [TestCase("d8:intervali1800e5:peers6:abc")]
    [TestCase("")]
    [TestCase("i42e")]
    [TestCase("d8:intervali-5ee")]
    [TestCase("d5:peers7:abcdefge")]
    [TestCase("d5:peersi1ee")]
    public void BadBodiesAreProtocolErrors(string body)
    {
        var error = Assert.Throws<TrackerProtocolException>(() => HttpTrackerResponseParser.ParseAnnounce(System.Text.Encoding.ASCII.GetBytes(body)));
        Assert.That(error!.Message.Length, Is.LessThan(400));
    }

    [Test]
    public void HtmlErrorQuotesTheStartOfTheBody()
    {
        var error = Assert.Throws<TrackerProtocolException>(() => HttpTrackerResponseParser.ParseAnnounce("<html>oops</html>"u8.ToArray()));
        Assert.That(error!.Message, Does.Contain("<html>oops"));
    }

    [Test]
    public void ScrapeFindsOurTorrent()
    {
        var files = new BDictionary();
        var stats = new BDictionary { ["complete"] = new BInteger(3), ["downloaded"] = new BInteger(10), ["incomplete"] = new BInteger(4) };
        files.Set(new BString(Hash(1).Memory.ToArray()), stats);
        var result = HttpTrackerResponseParser.ParseScrape(Encode(("files", files)), Hash(1));
        Assert.That(result, Is.EqualTo(new ScrapeStats(3, 10, 4)));
        Assert.Throws<TrackerProtocolException>(() => HttpTrackerResponseParser.ParseScrape(Encode(("files", files)), Hash(2)));
    }

    private static BDictionary Peer(string ip, long port) => new() { ["ip"] = new BString(ip), ["port"] = new BInteger(port), ["peer id"] = new BString("x") };

    private static string Text(byte[] bytes) => System.Text.Encoding.UTF8.GetString(bytes);

    /// <summary>Decodes a query into raw bytes per key (HttpUtility would decode to text and lose binary bytes).</summary>
    internal static Dictionary<string, byte[]> ParseQueryBytes(string query)
    {
        var result = new Dictionary<string, byte[]>();
        foreach (var pair in query.TrimStart('?').Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            var equals = pair.IndexOf('=');
            result[pair[..equals]] = HttpUtility.UrlDecodeToBytes(pair[(equals + 1)..]);
        }
        return result;
    }
}
