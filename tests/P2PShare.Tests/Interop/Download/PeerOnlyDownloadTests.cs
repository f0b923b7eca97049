using P2PShare.Tests.Support;

namespace P2PShare.Tests.Interop.Download;

/// <summary>Downloads of torrents with no announce URL: the only peer is the one given with --peer.</summary>
[TestFixture]
[Category("Interop")]
[CancelAfter(90_000)]
public sealed class PeerOnlyDownloadTests
{
    [Test]
    public async Task DownloadsFromLibtorrentWithPeerAndNoTracker(CancellationToken cancellationToken)
    {
        RequiredTool.EnsureLibtorrent();
        await using var temp = new TempDirectory("p2pshare-dl-notracker-");
        // Not a multiple of the piece size: the short last piece must come out right too.
        var source = TestData.CreateFile(temp.Combine("seed", "notracker.bin"), 16 * 1024 * 1024 - 4321, seed: 7);
        var torrent = await P2PShareClient.CreateTorrentAsync(source, temp.Combine("notracker.torrent"), pieceSizeKiB: 64,
            cancellationToken: cancellationToken);
        Assert.That(await File.ReadAllTextAsync(torrent.TorrentPath, System.Text.Encoding.Latin1, cancellationToken),
            Does.Not.Contain("8:announce"), "the torrent must have no tracker");

        await using var seeder = await LibtorrentPeer.StartSeedAsync(torrent.TorrentPath, temp.Combine("seed"),
            o => o with { NoTrackers = true }, cancellationToken);

        var output = temp.CreateSubdirectory("out");
        await using var downloader = P2PShareClient.StartDownload(temp.Path, torrent.TorrentPath, output,
            "--peer", $"127.0.0.1:{seeder.Port}", "--no-seed", "--give-up-after", "60");
        await downloader.WaitForSuccessAsync(TimeSpan.FromSeconds(60), cancellationToken);

        DownloadCheck.SameContent(source, output, downloader);
    }
}
