using P2PShare.Metainfo;

namespace P2PShare.Tests.Metainfo;

[TestFixture]
public sealed class MagnetLinkTests
{
    private const string Hex = "d2474e86c95b19b8bcfdb92bc12c9d44667cfa36";
    private const string Base32 = "2JDU5BWJLMM3RPH5XEV4CLE5IRTHZ6RW";

    [Test]
    public void ParsesHexWithNameTrackersWebSeedsAndPeers()
    {
        var magnet = MagnetLink.Parse(
            $"magnet:?xt=urn:btih:{Hex.ToUpperInvariant()}&dn=Leaves+of%20Grass&tr=udp%3A%2F%2Ft1%3A80&tr=http://t2/announce&tr=udp%3A%2F%2Ft1%3A80" +
            "&ws=http%3A%2F%2Fseed%2Ffile&x.pe=127.0.0.1:6881&x.pe=[::1]:6882&unknown=ignored");
        Assert.Multiple(() =>
        {
            Assert.That(magnet.InfoHash.Hex, Is.EqualTo(Hex));
            Assert.That(magnet.DisplayName, Is.EqualTo("Leaves of Grass"));
            Assert.That(magnet.Trackers, Is.EqualTo(new[] { "udp://t1:80", "http://t2/announce" }), "repeated tr kept once, in order");
            Assert.That(magnet.WebSeeds, Is.EqualTo(new[] { "http://seed/file" }));
            Assert.That(magnet.PeerAddresses, Is.EqualTo(new[] { "127.0.0.1:6881", "[::1]:6882" }));
        });
    }

    [Test]
    public void ParsesBase32()
    {
        var magnet = MagnetLink.Parse($"magnet:?xt=urn:btih:{Base32}");
        Assert.That(magnet.InfoHash.Hex, Is.EqualTo(Hex));
        Assert.That(magnet.InfoHash.Base32, Is.EqualTo(Base32));
        Assert.That(MagnetLink.Parse($"magnet:?xt=urn:btih:{Base32.ToLowerInvariant()}").InfoHash.Hex, Is.EqualTo(Hex));
    }

    [Test]
    public void HybridMagnetUsesItsV1Hash()
    {
        var magnet = MagnetLink.Parse($"magnet:?xt=urn:btmh:1220{new string('a', 64)}&xt=urn:btih:{Hex}");
        Assert.That(magnet.InfoHash.Hex, Is.EqualTo(Hex));
    }

    [TestCase("http://example.com/?xt=urn:btih:" + Hex, "not a magnet link (it must start with 'magnet:?')")]
    [TestCase("magnet:?dn=x", "magnet link has no 'xt=urn:btih:' info-hash (nor a v2 'xt=urn:btmh:1220' one)")]
    [TestCase("magnet:?xt=urn:btmh:1220aaaa", "magnet link v2 info-hash 'aaaa' is not 64 hex characters")]
    [TestCase("magnet:?xt=urn:btih:1234", "magnet link info-hash '1234' is neither 40 hex nor 32 base32 characters")]
    [TestCase("magnet:?xt=urn:btih:zz474e86c95b19b8bcfdb92bc12c9d44667cfa36", "magnet link info-hash 'zz474e86c95b19b8bcfdb92bc12c9d44667cfa36' is neither 40 hex nor 32 base32 characters")]
    [TestCase("magnet:?xt=urn:btih:2JDU5BWJLMM3RPH5XEV4CLE5IRTHZ6R1", "magnet link info-hash '2JDU5BWJLMM3RPH5XEV4CLE5IRTHZ6R1' is neither 40 hex nor 32 base32 characters")]
    [TestCase("magnet:?xt=urn:btih:" + Hex + "&xt=urn:btih:0000000000000000000000000000000000000000", "magnet link has two different BitTorrent info-hashes")]
    [TestCase("magnet:?xt", "magnet link parameter 'xt' has no value")]
    public void BadMagnetIsRefused(string uri, string reason)
    {
        var error = Assert.Throws<MetainfoException>(() => MagnetLink.Parse(uri));
        Assert.That(error!.Message, Is.EqualTo(reason));
    }

    [Test]
    public void RoundTripsFromATorrent()
    {
        var info = TorrentBuilder.SingleFileInfo(name: "a file & more.bin");
        var torrent = TorrentParser.Parse(TorrentBuilder.Torrent(info, top =>
        {
            top["announce-list"] = new P2PShare.Bencode.BList([
                new P2PShare.Bencode.BList([new P2PShare.Bencode.BString("http://t/a?x=1&y=2")]),
                new P2PShare.Bencode.BList([new P2PShare.Bencode.BString("udp://u:1")]),
            ]);
            top["url-list"] = new P2PShare.Bencode.BString("http://seed/a+b");
        }));
        var text = torrent.ToMagnetLink().ToString();
        var magnet = MagnetLink.Parse(text);
        Assert.Multiple(() =>
        {
            Assert.That(magnet.InfoHash, Is.EqualTo(torrent.InfoHash));
            Assert.That(magnet.DisplayName, Is.EqualTo("a file & more.bin"));
            Assert.That(magnet.Trackers, Is.EqualTo(new[] { "http://t/a?x=1&y=2", "udp://u:1" }));
            Assert.That(magnet.WebSeeds, Is.EqualTo(new[] { "http://seed/a+b" }));
            Assert.That(magnet.ToString(), Is.EqualTo(text));
        });
    }
}
