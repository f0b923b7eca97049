using P2PShare.Tests.Support;

namespace P2PShare.Tests.Interop.Download;

/// <summary>BEP 11 with libtorrent: a peer we were given tells us, by ut_pex, of a seeder we did not know.</summary>
[TestFixture]
[Category("Interop")]
[CancelAfter(120_000)]
public sealed class PeerExchangeInteropTests
{
    [Test]
    public async Task Libtorrent_leecher_tells_our_downloader_about_its_seeder_by_pex(CancellationToken cancellationToken)
    {
        RequiredTool.EnsureLibtorrent();
        await using var temp = new TempDirectory("p2pshare-pex-");
        var source = TestData.CreateFile(temp.Combine("seed", "pex.bin"), 16 * 1024 * 1024, seed: 11);
        var torrent = await P2PShareClient.CreateTorrentAsync(source, temp.Combine("pex.torrent"), pieceSizeKiB: 64,
            cancellationToken: cancellationToken);
        // The seeder uploads slowly, so the leecher is still downloading (and connected to it) when we arrive.
        await using var seeder = await LibtorrentPeer.StartSeedAsync(torrent.TorrentPath, temp.Combine("seed"),
            o => o with { NoTrackers = true, UploadLimit = 64 * 1024 }, cancellationToken);
        await using var leecher = await LibtorrentPeer.StartAsync(new LibtorrentPeerOptions(torrent.TorrentPath, temp.CreateSubdirectory("leech"))
        {
            Mode = LibtorrentMode.Leech,
            NoTrackers = true,
            ConnectTo = [seeder.EndPoint],
        }, cancellationToken);
        await leecher.WaitForStatusAsync(s => s.NumPeers >= 1 && s.TotalPayloadDownload > 0, TimeSpan.FromSeconds(30),
            "the libtorrent leecher to download from its seeder", cancellationToken);

        // Our downloader knows only the leecher.
        await using var downloader = P2PShareClient.StartDownload(temp.Path, torrent.TorrentPath, temp.CreateSubdirectory("out"),
            "--peer", $"127.0.0.1:{leecher.Port}", "--no-seed", "--verbose", "--give-up-after", "90");

        await Eventually.UntilAsync(() => downloader.ReadLog().Contains($"Connected to 127.0.0.1:{seeder.Port}", StringComparison.Ordinal),
            TimeSpan.FromSeconds(45), $"our downloader to connect to the seeder's port {seeder.Port}", () => downloader.Describe(),
            cancellationToken: cancellationToken);
        Assert.That(downloader.ReadLog(), Does.Contain($"PEX from 127.0.0.1:{leecher.Port}"), "the seeder's address came by PEX from the leecher");
    }
}
