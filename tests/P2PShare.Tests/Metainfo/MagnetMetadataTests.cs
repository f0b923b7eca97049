using P2PShare.Bencode;
using P2PShare.Metainfo;

namespace P2PShare.Tests.Metainfo;

/// <summary>A magnet link's torrent built from fetched metadata, and saved as a .torrent file.</summary>
public class MagnetMetadataTests
{
    [Test]
    public void Metadata_becomes_a_torrent_with_the_magnet_trackers_and_web_seeds()
    {
        var info = TorrentBuilder.SingleFileInfo(length: 40_000, name: "song.ogg");
        var infoBytes = BencodeEncoder.Encode(info);
        var magnet = MagnetLink.Parse($"magnet:?xt=urn:btih:{TorrentBuilder.InfoHashHex(info)}&tr=http%3A%2F%2Fa.example%2Fannounce&tr=udp%3A%2F%2Fb.example%3A80&ws=http%3A%2F%2Fw.example%2F");

        var torrent = TorrentParser.FromMetadata(infoBytes, magnet);

        Assert.That(torrent.InfoHash, Is.EqualTo(magnet.InfoHash));
        Assert.That(torrent.Name, Is.EqualTo("song.ogg"));
        Assert.That(torrent.TotalLength, Is.EqualTo(40_000));
        Assert.That(torrent.AnnounceTiers, Is.EqualTo(new[] { new[] { "http://a.example/announce" }, new[] { "udp://b.example:80" } }));
        Assert.That(torrent.WebSeeds, Is.EqualTo(new[] { "http://w.example/" }));
    }

    [Test]
    public void A_magnet_given_again_adds_the_trackers_and_web_seeds_the_saved_torrent_lacks()
    {
        var info = TorrentBuilder.SingleFileInfo(length: 40_000, name: "song.ogg");
        var first = MagnetLink.Parse($"magnet:?xt=urn:btih:{TorrentBuilder.InfoHashHex(info)}&tr=http%3A%2F%2Fa.example%2Fannounce&ws=http%3A%2F%2Fw.example%2F");
        var saved = TorrentParser.FromMetadata(BencodeEncoder.Encode(info), first);

        var again = saved.WithSources(["udp://b.example:80", "http://a.example/announce"], ["http://w.example/", "http://v.example/"]);

        Assert.That(again.AnnounceTiers, Is.EqualTo(new[] { new[] { "http://a.example/announce" }, new[] { "udp://b.example:80" } }));
        Assert.That(again.WebSeeds, Is.EqualTo(new[] { "http://w.example/", "http://v.example/" }));
        Assert.That(again.InfoHash, Is.EqualTo(saved.InfoHash));
        Assert.That(again.InfoBytes.ToArray(), Is.EqualTo(saved.InfoBytes.ToArray()));
        Assert.That(saved.WithSources(["http://a.example/announce"], []), Is.SameAs(saved), "nothing new: the same torrent");
    }

    [Test]
    public void Metadata_of_another_torrent_is_refused()
    {
        var info = TorrentBuilder.SingleFileInfo();
        var magnet = MagnetLink.Parse("magnet:?xt=urn:btih:" + new string('a', 40));
        Assert.Throws<MetainfoException>(() => TorrentParser.FromMetadata(BencodeEncoder.Encode(info), magnet));
        Assert.Throws<MetainfoException>(() => TorrentParser.FromMetadata("not bencode"u8.ToArray(), magnet));
    }

    [Test]
    public void Saved_torrent_parses_back_with_the_same_info_hash_even_when_the_info_keys_were_unsorted()
    {
        // Unsorted keys: a canonical re-encoding would change the info-hash; the raw bytes must be kept.
        var infoBytes = "d6:lengthi100e4:name5:a.bin6:pieces20:0123456789012345678912:piece lengthi16384ee"u8.ToArray();
        var hash = Convert.ToHexStringLower(System.Security.Cryptography.SHA1.HashData(infoBytes));
        var magnet = MagnetLink.Parse($"magnet:?xt=urn:btih:{hash}&tr=http%3A%2F%2Ft.example%2Fannounce&ws=http%3A%2F%2Fw.example%2F");
        var torrent = TorrentParser.FromMetadata(infoBytes, magnet);

        var reread = TorrentParser.Parse(TorrentFileWriter.Encode(torrent));

        Assert.That(reread.InfoHash.Hex, Is.EqualTo(hash));
        Assert.That(reread.InfoBytes.ToArray(), Is.EqualTo(infoBytes));
        Assert.That(reread.Trackers, Is.EqualTo(new[] { "http://t.example/announce" }));
        Assert.That(reread.WebSeeds, Is.EqualTo(new[] { "http://w.example/" }));
    }
}
