using System.Net;
using P2PShare.Metainfo;
using P2PShare.Tests.Support;

namespace P2PShare.Tests.Dht;

/// <summary>
/// Our DHT node with libtorrent's on 127.0.0.1, in the topology of real-clients-on-loopback.md: a bare libtorrent
/// bootstrap node B, libtorrent peers joining through B, and our node joining through B.
/// </summary>
[TestFixture, Category("Interop")]
public sealed class DhtInteropTests
{
    [Test, CancelAfter(25_000)]
    public async Task OurGetPeersFindsALibtorrentSeederThatOnlyAnnouncedToTheDht(CancellationToken ct)
    {
        await using var work = new TempDirectory();
        var file = TestData.CreateFile(work.Combine("seed", "data.bin"), 256 * 1024, seed: 13);
        var torrent = await LibtorrentTorrent.CreateAsync(file, work.Combine("data.torrent"), 16 * 1024, cancellationToken: ct);
        await using var bootstrap = await LibtorrentDhtNode.StartAsync(null, ct);
        await using var seeder = await LibtorrentPeer.StartSeedAsync(torrent.TorrentPath, work.Combine("seed"),
            o => o with { NoTrackers = true, DhtBootstrap = [bootstrap.EndPoint], DhtAnnounceInterval = TimeSpan.FromSeconds(2) }, ct);
        await using var ours = LoopbackDhtNode.Start();
        await ours.Node.BootstrapAsync([bootstrap.EndPoint], ct);

        var infoHash = InfoHash.Parse(torrent.InfoHash);
        var seederAddress = new IPEndPoint(IPAddress.Loopback, seeder.Port);
        IReadOnlyList<IPEndPoint> found = [];
        await Eventually.UntilAsync(async () =>
            {
                found = await ours.Node.GetPeersAsync(infoHash, ct);
                return found.Contains(seederAddress);
            }, TimeSpan.FromSeconds(15), $"our get_peers to return the libtorrent seeder {seederAddress}",
            () => $"found [{string.Join(", ", found)}]; our status {ours.Node.Status}; libtorrent bootstrap knows {bootstrap.DhtNodes} nodes",
            TimeSpan.FromMilliseconds(500), ct);
    }

    [Test, CancelAfter(25_000)]
    public async Task ALibtorrentLookupFindsTheAddressOurNodeAnnounced(CancellationToken ct)
    {
        await using var bootstrap = await LibtorrentDhtNode.StartAsync(null, ct);
        await using var searcher = await LibtorrentDhtNode.StartAsync([bootstrap.EndPoint], ct);
        await using var ours = LoopbackDhtNode.Start();
        await ours.Node.BootstrapAsync([bootstrap.EndPoint], ct);

        var infoHash = InfoHash.Parse(Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(20)));
        var ourPeerPort = FreePort.Get();
        var announce = await ours.Node.AnnounceAsync(infoHash, ourPeerPort, ct);
        Assert.That(announce.Acknowledged, Is.GreaterThan(0), $"libtorrent accepted our announce_peer ({announce.AnnouncedTo} sent)");

        var expected = new IPEndPoint(IPAddress.Loopback, ourPeerPort);
        await Eventually.UntilAsync(async () =>
            {
                await searcher.StartGetPeersAsync(infoHash.Hex, ct);
                return searcher.PeersFound(infoHash.Hex).Contains(expected);
            }, TimeSpan.FromSeconds(15), $"libtorrent's get_peers to return our announced {expected}",
            () => $"libtorrent found [{string.Join(", ", searcher.PeersFound(infoHash.Hex))}]; our status {ours.Node.Status}",
            TimeSpan.FromSeconds(1), ct);
    }

    [Test, CancelAfter(25_000)]
    public async Task ALibtorrentMagnetLeecherDialsThePortOurNodeAnnounced(CancellationToken ct)
    {
        await using var work = new TempDirectory();
        await using var bootstrap = await LibtorrentDhtNode.StartAsync(null, ct);
        await using var ours = LoopbackDhtNode.Start();
        await ours.Node.BootstrapAsync([bootstrap.EndPoint], ct);
        using var listener = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var ourPeerPort = ((IPEndPoint)listener.LocalEndpoint).Port;
        var hash = System.Security.Cryptography.RandomNumberGenerator.GetBytes(20);
        var infoHash = new InfoHash(hash);
        var announce = await ours.Node.AnnounceAsync(infoHash, ourPeerPort, ct);
        Assert.That(announce.Acknowledged, Is.GreaterThan(0));

        // A magnet link with no tracker and no peer: libtorrent can learn our address only from the DHT.
        await using var leecher = await LibtorrentPeer.StartAsync(new LibtorrentPeerOptions("", work.CreateSubdirectory("leech"))
        {
            Magnet = $"magnet:?xt=urn:btih:{infoHash.Hex}",
            Mode = LibtorrentMode.Leech,
            NoTrackers = true,
            Encryption = "disabled",
            DhtBootstrap = [bootstrap.EndPoint],
            DhtAnnounceInterval = TimeSpan.FromSeconds(2),
        }, ct);
        using var accept = CancellationTokenSource.CreateLinkedTokenSource(ct);
        accept.CancelAfter(TimeSpan.FromSeconds(15));
        using var connection = await listener.AcceptTcpClientAsync(accept.Token);
        var handshake = new byte[48];
        await connection.GetStream().ReadExactlyAsync(handshake, ct);
        Assert.That(handshake[1..20], Is.EqualTo("BitTorrent protocol"u8.ToArray()), "a BitTorrent handshake");
        Assert.That(handshake[28..48], Is.EqualTo(hash), "for the info-hash we announced");
    }
}
