using System.Text;
using P2PShare.Protocol.Wire;

namespace P2PShare.Tests.Cli.Install;

/// <summary>Client names from peer ids; the first four are the ids the real clients on this machine send (see PeerIdInteropTests).</summary>
[TestFixture]
public sealed class PeerClientNameTests
{
    [TestCase("-LT2080-abcdefghijkl", "libtorrent 2.0.8")]
    [TestCase("-TR3000-abcdefghijkl", "Transmission 3.00")]
    [TestCase("A2-1-36-0-abcdefghij", "aria2 1.36.0")]
    [TestCase("-qB4520-abcdefghijkl", "qBittorrent 4.5.2")]
    [TestCase("-LT12A0-abcdefghijkl", "libtorrent 1.2.10")]
    [TestCase("-TR294Z-abcdefghijkl", "Transmission 2.94+")]
    [TestCase("-TR4000-abcdefghijkl", "Transmission 4.0.0")]
    [TestCase("-UT355W-abcdefghijkl", "µTorrent 3.5.5")]
    [TestCase("-lt0D60-abcdefghijkl", "libTorrent (rakshasa) 0.13.6")]
    [TestCase("-DE2110-abcdefghijkl", "Deluge 2.1.1")]
    [TestCase("-XX1234-abcdefghijkl", "XX 1.2.3.4")]
    [TestCase("-PS0001-abcdefghijkl", "P2PShare 0.0.0.1")]
    [TestCase("M7-2-3--abcdefghijkl", "M7-2-3--")]
    public void Names_the_client_and_its_version(string id, string expected) =>
        Assert.That(PeerClientNames.Describe(Encoding.Latin1.GetBytes(id)), Is.EqualTo(expected));

    [Test]
    public void Binary_ids_become_printable()
    {
        var id = new byte[20];
        id[0] = (byte)'-';
        id[7] = (byte)'-';
        Assert.That(PeerClientNames.Describe(id), Is.EqualTo("-??????-"));
    }
}
