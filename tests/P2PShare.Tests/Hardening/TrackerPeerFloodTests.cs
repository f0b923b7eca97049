using System.Net;
using Microsoft.Extensions.Logging.Abstractions;
using P2PShare.Bencode;
using P2PShare.Engine;
using P2PShare.Metainfo;
using P2PShare.Networking.Peers;
using P2PShare.Networking.Trackers;
using P2PShare.Protocol.Tracker;
using P2PShare.Protocol.Wire;
using P2PShare.Tests.Support;
using P2PShare.Tests.Trackers;

namespace P2PShare.Tests.Hardening;

/// <summary>
/// Issue #25, resource bounds: what one tracker answer can make us keep. The answer's size is bounded by
/// TrackerOptions.MaxResponseBytes (FakeTrackerTests.HttpHugeBodyIsRefusedWithoutReadingIt); the peers in an answer
/// that fits are bounded here, by PeerDialer.MaxKnown, whichever source names them.
/// </summary>
public sealed class TrackerPeerFloodTests
{
    private static byte[] AnswerWithPeers(int count, int firstAddress)
    {
        var endPoints = Enumerable.Range(firstAddress, count)
            .Select(i => new IPEndPoint(new IPAddress([10, (byte)(i >> 16), (byte)(i >> 8), (byte)i]), 6881));
        return TrackerTestData.Encode(("interval", new BInteger(1800)), ("peers", new BString(CompactPeerList.Encode(endPoints, 4))));
    }

    private static PeerDialer Dialer(object gate) =>
        new(gate, new Handshake(0, new InfoHash(new byte[20]), PeerId.CreateOurs(new Random(1))), new EngineOptions(),
            new PeerBans(new ManualTimeProvider(), TimeSpan.FromHours(1)), new ManualTimeProvider(), new Random(7), NullLogger.Instance,
            _ => { }, (_, _) => { });

    [Test]
    public void Answers_naming_twenty_thousand_peers_each_leave_at_most_MaxKnown_addresses()
    {
        var body = AnswerWithPeers(20_000, 1);
        Assert.That(body.Length, Is.LessThan(TrackerOptions.Default.MaxResponseBytes), "the answer is one the client reads");
        var reply = HttpTrackerResponseParser.ParseAnnounce(body);
        Assert.That(reply.Peers, Has.Count.EqualTo(20_000));

        var gate = new object();
        var dialer = Dialer(gate);
        lock (gate)
        {
            dialer.Add(reply.Peers, PeerSource.Tracker);
            Assert.That(dialer.KnownCount, Is.EqualTo(PeerDialer.MaxKnown));
            // The next answer names 20,000 other peers: the table does not grow, and what it knew stays.
            dialer.Add(HttpTrackerResponseParser.ParseAnnounce(AnswerWithPeers(20_000, 100_000)).Peers, PeerSource.Tracker);
            Assert.That(dialer.KnownCount, Is.EqualTo(PeerDialer.MaxKnown));
            Assert.That(dialer.Find(reply.Peers[0]), Is.Not.Null);
        }
        TestContext.Out.WriteLine($"answer {body.Length} bytes, 20,000 peers; known after two answers: {PeerDialer.MaxKnown}");
    }
}
