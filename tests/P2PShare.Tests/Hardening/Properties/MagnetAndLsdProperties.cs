using FsCheck;
using FsCheck.Fluent;
using P2PShare.Metainfo;
using P2PShare.Protocol.Lsd;

namespace P2PShare.Tests.Hardening.Properties;

/// <summary>FsCheck: magnet links survive ToString → Parse; BEP 14 announces survive Build → Parse.</summary>
[TestFixture]
public sealed class MagnetAndLsdProperties
{
    private static Gen<InfoHash> Hash { get; } = Generators.FixedBytes(20).Select(bytes => new InfoHash(bytes));

    private static Gen<string> Url { get; } = Generators.Zip(Gen.Elements("http", "https", "udp"), Generators.Port, Generators.Text(20))
        .Select(f => $"{f.Item1}://127.0.0.1:{f.Item2}/{f.Item3}");

    [Test]
    public void MagnetLinksRoundTrip() => PropertyCheck.ForAll(
        Generators.Zip(Hash, Generators.Text(40).Select(name => (string?)name).Or(Gen.Constant((string?)null)), Generators.ListOf(Url, 4), Generators.ListOf(Url, 3),
            Generators.ListOf(Generators.IPv4EndPoint.Select(endPoint => endPoint.ToString()), 3)),
        fields =>
        {
            var (hash, name, trackers, seeds, peers) = fields;
            var link = new MagnetLink(hash, name, trackers, seeds, peers);
            var parsed = MagnetLink.Parse(link.ToString());
            Assert.That(parsed.InfoHash, Is.EqualTo(hash));
            Assert.That(parsed.DisplayName, Is.EqualTo(string.IsNullOrEmpty(name) ? null : name));
            Assert.That(parsed.Trackers, Is.EqualTo(trackers.Distinct().ToArray()));
            Assert.That(parsed.WebSeeds, Is.EqualTo(seeds.Distinct().ToArray()));
            Assert.That(parsed.PeerAddresses, Is.EqualTo(peers.Distinct().ToArray()));
            return true;
        });

    [Test]
    public void LsdAnnouncesRoundTrip() => PropertyCheck.ForAll(
        Generators.Zip(Generators.Port, Gen.Choose(1, LsdMessage.MaxInfoHashes).SelectMany(count => Gen.ArrayOf(Hash, count)),
            Gen.Choose(1, 64).SelectMany(length => Gen.ArrayOf(Gen.Choose('!', '~').Select(c => (char)c), length)).Select(chars => (string?)new string(chars))
                .Or(Gen.Constant((string?)null))),
        fields =>
        {
            var (port, hashes, cookie) = fields;
            var parsed = LsdMessage.Parse(LsdMessage.Build($"{LsdMessage.IPv4Group}:{LsdMessage.Port}", port, hashes, cookie));
            Assert.That(parsed.InfoHashes, Is.EqualTo(hashes));
            return parsed.Port == port && parsed.Cookie == cookie;
        });
}
