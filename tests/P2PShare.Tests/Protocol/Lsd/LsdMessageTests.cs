using System.Text;
using P2PShare.Metainfo;
using P2PShare.Protocol.Lsd;

namespace P2PShare.Tests.Protocol.Lsd;

/// <summary>BEP 14 announces: the exact text, libtorrent's form, and bounded parsing of hostile datagrams.</summary>
public class LsdMessageTests
{
    private static readonly InfoHash Hash = InfoHash.Parse("0123456789abcdef0123456789abcdef01234567");

    [Test]
    public void Announce_has_the_bep_14_layout()
    {
        var text = Encoding.ASCII.GetString(LsdMessage.Build("239.192.152.143:6771", 6881, [Hash], "c00k1e"));
        Assert.That(text, Is.EqualTo("BT-SEARCH * HTTP/1.1\r\nHost: 239.192.152.143:6771\r\nPort: 6881\r\n" +
            "Infohash: 0123456789abcdef0123456789abcdef01234567\r\ncookie: c00k1e\r\n\r\n\r\n"));
        var parsed = LsdMessage.Parse(Encoding.ASCII.GetBytes(text));
        Assert.That((parsed.Port, parsed.Cookie), Is.EqualTo((6881, "c00k1e")));
        Assert.That(parsed.InfoHashes, Is.EqualTo(new[] { Hash }));
    }

    [Test]
    public void Libtorrent_style_announce_with_upper_case_hash_and_no_cookie_parses()
    {
        var text = "BT-SEARCH * HTTP/1.1\r\nHost: 239.192.152.143:6771\r\nPort: 51413\r\nInfohash: 0123456789ABCDEF0123456789ABCDEF01234567\r\n\r\n\r\n";
        var parsed = LsdMessage.Parse(Encoding.ASCII.GetBytes(text));
        Assert.That(parsed.Port, Is.EqualTo(51413));
        Assert.That(parsed.Cookie, Is.Null);
        Assert.That(parsed.InfoHashes.Single(), Is.EqualTo(Hash));
    }

    [TestCase("M-SEARCH * HTTP/1.1\r\nPort: 1\r\n\r\n", "BT-SEARCH")]
    [TestCase("BT-SEARCH * HTTP/1.1\r\nInfohash: 0123456789abcdef0123456789abcdef01234567\r\n\r\n", "Port")]
    [TestCase("BT-SEARCH * HTTP/1.1\r\nPort: 6881\r\n\r\n", "Infohash")]
    [TestCase("BT-SEARCH * HTTP/1.1\r\nPort: 70000\r\nInfohash: 0123456789abcdef0123456789abcdef01234567\r\n\r\n", "port")]
    [TestCase("BT-SEARCH * HTTP/1.1\r\nPort: 6881\r\nInfohash: xyz\r\n\r\n", "info-hash")]
    [TestCase("BT-SEARCH * HTTP/1.1\r\nPort 6881\r\n\r\n", "colon")]
    public void Malformed_announces_are_rejected(string text, string reason)
    {
        Assert.That(() => LsdMessage.Parse(Encoding.ASCII.GetBytes(text)), Throws.TypeOf<LsdFormatException>().With.Message.Contains(reason));
    }

    [Test]
    public void Oversized_binary_or_hash_flooding_datagrams_are_rejected()
    {
        Assert.Throws<LsdFormatException>(() => LsdMessage.Parse(new byte[LsdMessage.MaxDatagramBytes + 1]));
        Assert.Throws<LsdFormatException>(() => LsdMessage.Parse([.. Encoding.ASCII.GetBytes("BT-SEARCH * HTTP/1.1\r\n"), 0xFF]));
        var many = new StringBuilder("BT-SEARCH * HTTP/1.1\r\nPort: 1\r\n");
        for (var i = 0; i < 20; i++)
            many.Append("Infohash: ").Append(i.ToString("x40")).Append("\r\n");
        Assert.That(() => LsdMessage.Parse(Encoding.ASCII.GetBytes(many.Append("\r\n").ToString())), Throws.TypeOf<LsdFormatException>());
    }
}
