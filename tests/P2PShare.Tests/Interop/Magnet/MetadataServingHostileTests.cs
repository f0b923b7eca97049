using System.Text;
using P2PShare.Tests.Interop.Seeding;
using P2PShare.Tests.Support;

namespace P2PShare.Tests.Interop.Magnet;

/// <summary>
/// Our seeder's ut_metadata service seen by a raw-socket peer (<see cref="MisbehavingLeecher"/>): the extended
/// handshake it sends, the bytes of a metadata piece, a reject for a piece past the end, and a request flood
/// that ends the connection.
/// </summary>
[TestFixture]
[Category("Interop")]
[CancelAfter(60_000)]
public sealed class MetadataServingHostileTests
{
    private const byte OurRawId = 3;

    [Test]
    public async Task SeederServesMetadataPieces_RejectsOutOfRange_DropsAFlood(CancellationToken cancellationToken)
    {
        await using var scenario = await SeedScenario.CreateAsync("served-metadata", 20L * 1024 * 1024 + 3, seed: 97, pieceSizeKiB: 16,
            cancellationToken: cancellationToken);
        var info = (await P2PShare.Metainfo.TorrentParser.LoadAsync(scenario.Torrent.TorrentPath, cancellationToken)).InfoBytes.ToArray();
        Assert.That(info.Length, Is.GreaterThan(16 * 1024), "the metadata must have more than one piece");
        var (seeder, port) = await scenario.StartSeederAsync(cancellationToken, "--verbose");
        await using var _s = seeder;

        await using var peer = await MisbehavingLeecher.ConnectAsync(SeedScenario.Loopback(port), scenario.InfoHash, TimeSpan.FromSeconds(10),
            cancellationToken, extensionProtocol: true);
        peer.StartReading();
        await Eventually.UntilAsync(() => peer.ExtendedMessages.Any(m => m.ExtendedId == 0), TimeSpan.FromSeconds(10),
            "the seeder's extended handshake", seeder.Describe, cancellationToken: cancellationToken);
        var handshake = peer.ExtendedMessages.First(m => m.ExtendedId == 0).Body;
        var seederId = RawPeerWire.FindInteger(handshake, "ut_metadata");
        Assert.That(seederId, Is.InRange(1, 255), Encoding.Latin1.GetString(handshake));
        Assert.That(RawPeerWire.FindInteger(handshake, "metadata_size"), Is.EqualTo(info.Length));
        Assert.That(RawPeerWire.FindInteger(handshake, "p"), Is.EqualTo(port), "the seeder tells its listen port");
        Assert.That(Encoding.Latin1.GetString(handshake), Does.Contain("P2PShare"));

        await peer.SendRawAsync(RawPeerWire.ExtendedMessage(0, "d1:md11:ut_metadatai3eee"u8), cancellationToken);
        await peer.SendRawAsync(MetadataRequest((byte)seederId!.Value, 1), cancellationToken);
        await peer.SendRawAsync(MetadataRequest((byte)seederId.Value, 999), cancellationToken);
        await Eventually.UntilAsync(() => peer.ExtendedMessages.Count(m => m.ExtendedId == OurRawId) >= 2, TimeSpan.FromSeconds(10),
            "answers to two metadata requests", seeder.Describe, cancellationToken: cancellationToken);

        var answers = peer.ExtendedMessages.Where(m => m.ExtendedId == OurRawId).Select(m => m.Body).ToList();
        var head = Encoding.ASCII.GetBytes($"d8:msg_typei1e5:piecei1e10:total_sizei{info.Length}ee");
        Assert.That(answers[0].Take(head.Length), Is.EqualTo(head), Encoding.Latin1.GetString(answers[0][..Math.Min(80, answers[0].Length)]));
        Assert.That(answers[0].Skip(head.Length), Is.EqualTo(info.Skip(16 * 1024).Take(16 * 1024)), "piece 1 holds the info dictionary's bytes");
        Assert.That(Encoding.ASCII.GetString(answers[1]), Is.EqualTo("d8:msg_typei2e5:piecei999ee"), "a piece past the end is rejected");

        // Far more requests than a peer needs for this metadata: the seeder hangs up.
        var flood = Enumerable.Range(0, 500).SelectMany(i => MetadataRequest((byte)seederId.Value, i % 2)).ToArray();
        await peer.SendRawAsync(flood, cancellationToken);
        Assert.That(await peer.WaitForDisconnectAsync(TimeSpan.FromSeconds(10), cancellationToken), Is.True, seeder.Describe);
        await Eventually.UntilAsync(() => seeder.ReadLog().Contains("metadata requests", StringComparison.Ordinal), TimeSpan.FromSeconds(5),
            "the seeder to log why it dropped the peer", seeder.Describe, cancellationToken: cancellationToken);
        Assert.That(seeder.HasExited, Is.False, seeder.Describe);
    }

    private static byte[] MetadataRequest(byte seederId, int piece) =>
        RawPeerWire.ExtendedMessage(seederId, Encoding.ASCII.GetBytes($"d8:msg_typei0e5:piecei{piece}ee"));
}
