using System.Net;
using System.Text;
using P2PShare.Protocol.Extensions;
using P2PShare.Protocol.Wire;

namespace P2PShare.Tests.Protocol;

/// <summary>BEP 11 ut_pex messages: round trips, the compact formats byte by byte, and hostile input.</summary>
public class PexMessageTests
{
    [Test]
    public void Pex_message_round_trips_both_families_with_flags()
    {
        var message = new PexMessage
        {
            Added =
            [
                new PexPeer(IPEndPoint.Parse("10.0.0.1:6881"), PexPeer.Reachable | PexPeer.Seed),
                new PexPeer(IPEndPoint.Parse("[2001:db8::1]:51413"), PexPeer.SupportsUtp),
                new PexPeer(IPEndPoint.Parse("192.168.1.20:1"), 0),
            ],
            Dropped = [IPEndPoint.Parse("172.16.0.9:65535"), IPEndPoint.Parse("[::1]:80")],
        };

        var decoded = PexMessage.Parse(message.Encode());

        Assert.That(decoded.Added, Is.EquivalentTo(message.Added));
        Assert.That(decoded.Dropped, Is.EquivalentTo(message.Dropped));
    }

    [Test]
    public void Pex_message_encodes_compact_ipv4_entries_and_leaves_out_empty_ipv6_lists()
    {
        var body = new PexMessage { Added = [new PexPeer(IPEndPoint.Parse("1.2.3.4:258"), 0x12)] }.Encode();

        Assert.That(Encoding.Latin1.GetString(body), Is.EqualTo("d5:added6:\u0001\u0002\u0003\u0004\u0001\u00027:added.f1:\u00127:dropped0:e"));
    }

    [Test]
    public void Pex_message_ignores_unknown_keys_and_port_zero_entries_and_reads_flags_by_position()
    {
        // Second entry has port 0: skipped, and the third keeps its own flag byte.
        var body = Latin1("d5:added18:\u0001\u0001\u0001\u0001\u0000\u0050\u0002\u0002\u0002\u0002\u0000\u0000\u0003\u0003\u0003\u0003\u0000\u00517:added.f3:\u0001\u0002\u00045:extrai7e7:dropped6:\u0009\u0009\u0009\u0009\u0000\u0000e");

        var decoded = PexMessage.Parse(body);

        Assert.That(decoded.Added, Is.EqualTo(new[]
        {
            new PexPeer(IPEndPoint.Parse("1.1.1.1:80"), 0x01),
            new PexPeer(IPEndPoint.Parse("3.3.3.3:81"), 0x04),
        }));
        Assert.That(decoded.Dropped, Is.Empty);
    }

    [Test]
    public void Pex_message_without_flags_gives_every_added_peer_no_flags()
    {
        var decoded = PexMessage.Parse(Latin1("d5:added6:\u0001\u0002\u0003\u0004\u0000\u0001e"));
        Assert.That(decoded.Added, Is.EqualTo(new[] { new PexPeer(IPEndPoint.Parse("1.2.3.4:1"), 0) }));
    }

    [Test]
    public void Pex_message_accepts_the_largest_allowed_lists()
    {
        var added = Enumerable.Range(0, PexMessage.MaxEntriesPerList).Select(i => new PexPeer(new IPEndPoint(IPAddress.Parse($"10.0.{i / 250}.{i % 250 + 1}"), 1000 + i))).ToList();
        var decoded = PexMessage.Parse(new PexMessage { Added = added }.Encode());
        Assert.That(decoded.Added, Has.Count.EqualTo(PexMessage.MaxEntriesPerList));
    }

    [TestCase("", TestName = "Pex rejects empty body")]
    [TestCase("le", TestName = "Pex rejects a list, not a dictionary")]
    [TestCase("d5:addedi5ee", TestName = "Pex rejects added that is an integer")]
    [TestCase("d7:droppedle e", TestName = "Pex rejects broken bencode")]
    [TestCase("d7:droppedlee", TestName = "Pex rejects dropped that is a list")]
    [TestCase("d6:added6i1ee", TestName = "Pex rejects added6 that is an integer")]
    [TestCase("d5:added5:abcdee", TestName = "Pex rejects added of 5 bytes")]
    [TestCase("d5:added7:abcdefge", TestName = "Pex rejects added of 7 bytes")]
    [TestCase("d7:dropped4:abcde", TestName = "Pex rejects dropped of 4 bytes")]
    [TestCase("d6:added66:abcdefe", TestName = "Pex rejects added6 of 6 bytes")]
    [TestCase("d8:dropped619:abcdefghijklmnopqrse", TestName = "Pex rejects dropped6 of 19 bytes")]
    [TestCase("d5:added6:abcdef7:added.f2:xye", TestName = "Pex rejects more flags than peers")]
    [TestCase("d5:added12:abcdefghijkl7:added.f1:xe", TestName = "Pex rejects fewer flags than peers")]
    [TestCase("d5:added6:abcdef7:added.fi1ee", TestName = "Pex rejects flags that are an integer")]
    public void Pex_message_rejects_malformed_bodies(string body)
    {
        Assert.Throws<PeerProtocolException>(() => PexMessage.Parse(Latin1(body)));
    }

    [TestCase("added", 6)]
    [TestCase("dropped", 6)]
    [TestCase("added6", 18)]
    [TestCase("dropped6", 18)]
    public void Pex_message_rejects_a_list_over_the_limit(string key, int entryLength)
    {
        var entries = new string('\u0001', (PexMessage.MaxEntriesPerList + 1) * entryLength);
        var body = Latin1($"d{key.Length}:{key}{entries.Length}:{entries}e");
        Assert.That(() => PexMessage.Parse(body), Throws.TypeOf<PeerProtocolException>().With.Message.Contains("more than"));
    }

    [Test]
    public void Pex_message_rejects_an_oversized_body_before_decoding()
    {
        var filler = new string('x', PexMessage.MaxEncodedLength);
        var body = Latin1($"d5:extra{filler.Length}:{filler}e");
        Assert.That(() => PexMessage.Parse(body), Throws.TypeOf<PeerProtocolException>().With.Message.Contains("too long"));
    }

    private static byte[] Latin1(string text) => Encoding.Latin1.GetBytes(text);
}
