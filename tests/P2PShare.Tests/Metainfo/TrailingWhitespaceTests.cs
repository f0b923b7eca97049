using P2PShare.Metainfo;

namespace P2PShare.Tests.Metainfo;

/// <summary>Whitespace after a torrent's dictionary is accepted with a warning (as libtorrent, transmission-show and aria2 do); other trailing bytes are not.</summary>
[TestFixture]
public sealed class TrailingWhitespaceTests
{
    [TestCase("\n")]
    [TestCase("\r\n")]
    [TestCase("  \t\n\n")]
    public void Whitespace_after_the_dictionary_is_accepted_with_a_warning(string tail)
    {
        var plain = TorrentBuilder.Torrent(TorrentBuilder.SingleFileInfo(length: 40_000));
        var torrent = TorrentParser.Parse(plain.Concat(System.Text.Encoding.ASCII.GetBytes(tail)).ToArray());

        Assert.That(torrent.InfoHash, Is.EqualTo(TorrentParser.Parse(plain).InfoHash));
        Assert.That(torrent.Warnings, Has.Count.EqualTo(1));
        Assert.That(torrent.Warnings[0], Does.Contain($"{tail.Length} byte(s) of whitespace"));
        Assert.That(TorrentParser.Parse(plain).Warnings, Is.Empty);
    }

    [TestCase("x")]
    [TestCase("\nd1:ai1ee")]
    [TestCase("\0")]
    public void Other_trailing_bytes_are_refused(string tail)
    {
        var bytes = TorrentBuilder.Torrent(TorrentBuilder.SingleFileInfo(length: 40_000));
        var error = Assert.Throws<MetainfoException>(() => TorrentParser.Parse(bytes.Concat(System.Text.Encoding.ASCII.GetBytes(tail)).ToArray()));
        Assert.That(error!.Message, Does.Contain($"{tail.Length} trailing byte(s)"));
    }
}
