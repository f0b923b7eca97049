using System.Text.RegularExpressions;
using P2PShare.Tests.Interop.Download;
using P2PShare.Tests.Support;

namespace P2PShare.Tests.Interop.Encryption;

/// <summary>
/// Our CLI (the whole engine) with real clients that require encryption, RC4 only: it downloads from a libtorrent
/// seeder and a transmission seeder, and seeds to a libtorrent leecher that dials it and to a transmission leecher it dials. The policies: Require refuses a
/// plaintext-only libtorrent peer both ways; Disable cannot reach a forced one and says why. Logs (--verbose) name
/// the transport of each connection.
/// </summary>
[TestFixture]
[Category("Interop")]
[CancelAfter(90_000)]
public sealed class EngineEncryptionInteropTests
{
    private const int PieceSizeKiB = 64;

    private static async Task<(TempDirectory Temp, string Source, P2PShareTorrent Torrent)> CreateAsync(string name, int size, int seed, CancellationToken ct)
    {
        var temp = new TempDirectory($"p2pshare-enc-{name}-");
        var source = TestData.CreateFile(temp.Combine("seed", name + ".bin"), size, seed);
        var torrent = await P2PShareClient.CreateTorrentAsync(source, temp.Combine(name + ".torrent"), pieceSizeKiB: PieceSizeKiB, cancellationToken: ct);
        return (temp, source, torrent);
    }

    private static int CountMatches(string log, string pattern) => Regex.Matches(log, pattern).Count;

    [Test]
    public async Task Downloads_from_a_libtorrent_seeder_that_requires_RC4(CancellationToken ct)
    {
        RequiredTool.EnsureLibtorrent();
        var (temp, source, torrent) = await CreateAsync("lt-forced", 4 * 1024 * 1024 + 17, 61, ct);
        await using var _t = temp;
        await using var seeder = await LibtorrentPeer.StartSeedAsync(torrent.TorrentPath, temp.Combine("seed"),
            o => o with { NoTrackers = true, Encryption = "forced", EncryptionLevel = "rc4" }, ct);

        var output = temp.CreateSubdirectory("out");
        // The default policy (prefer) encrypts outgoing connections.
        await using var downloader = P2PShareClient.StartDownload(temp.Path, torrent.TorrentPath, output,
            "--peer", $"127.0.0.1:{seeder.Port}", "--no-seed", "--give-up-after", "40", "--verbose");
        await downloader.WaitForSuccessAsync(TimeSpan.FromSeconds(60), ct);

        DownloadCheck.SameContent(source, output, downloader);
        Assert.That(downloader.ReadLog(), Does.Match(@"Connected to 127\.0\.0\.1:\d+ over ""?tcp\+rc4"), downloader.Describe());
    }

    [Test]
    public async Task Downloads_from_a_transmission_seeder_that_requires_encryption(CancellationToken ct)
    {
        RequiredTool.Ensure("transmission-daemon");
        var (temp, source, torrent) = await CreateAsync("tr-forced", 3 * 1024 * 1024 + 5, 62, ct);
        await using var _t = temp;
        await using var daemon = await TransmissionDaemon.StartAsync(temp.CreateSubdirectory("transmission"), cancellationToken: ct, encryption: "required");
        await daemon.AddTorrentAsync(torrent.TorrentPath, temp.Combine("seed"), ct);
        await daemon.WaitForStatusAsync(torrent.InfoHash, s => s.IsSeeding && s.IsComplete, TimeSpan.FromSeconds(30), "transmission seeding", ct);

        // Transmission never dials loopback peers: we dial it, under Require.
        var output = temp.CreateSubdirectory("out");
        await using var downloader = P2PShareClient.StartDownload(temp.Path, torrent.TorrentPath, output,
            "--peer", $"127.0.0.1:{daemon.PeerPort}", "--no-seed", "--give-up-after", "60", "--encryption", "require", "--verbose");
        await downloader.WaitForSuccessAsync(TimeSpan.FromSeconds(75), ct);

        DownloadCheck.SameContent(source, output, downloader);
        var log = downloader.ReadLog();
        Assert.That(CountMatches(log, @"Connected to 127\.0\.0\.1:\d+ over ""?tcp\+rc4"), Is.GreaterThanOrEqualTo(1), downloader.Describe());
        Assert.That(CountMatches(log, @"over ""?tcp""?\s*$"), Is.Zero, "no plain connection under require");
    }

    [Test]
    public async Task Seeds_to_a_libtorrent_leecher_that_requires_RC4_and_dials_us(CancellationToken ct)
    {
        RequiredTool.EnsureLibtorrent();
        var (temp, source, torrent) = await CreateAsync("lt-leech", 3 * 1024 * 1024 + 99, 63, ct);
        await using var _t = temp;
        await using var seeder = P2PShareClient.StartSeed(temp.Path, torrent.TorrentPath, temp.Combine("seed"), "--encryption", "require", "--verbose");
        var port = await seeder.WaitUntilListeningAsync(TimeSpan.FromSeconds(30), ct);

        var output = temp.CreateSubdirectory("lt-out");
        await using var leecher = await LibtorrentPeer.StartAsync(new LibtorrentPeerOptions(torrent.TorrentPath, output)
        {
            Mode = LibtorrentMode.Leech, NoTrackers = true, ConnectTo = [SeedScenarioLoopback(port)], Encryption = "forced", EncryptionLevel = "rc4",
        }, ct);
        await leecher.WaitForExitAsync(TimeSpan.FromSeconds(45), ct);

        Assert.That(TestData.Sha256File(Path.Combine(output, Path.GetFileName(source))), Is.EqualTo(TestData.Sha256File(source)), seeder.Describe());
        Assert.That(seeder.ReadLog(), Does.Match(@"Incoming connection from 127\.0\.0\.1:\d+ over ""?tcp\+rc4"), seeder.Describe());
    }

    [Test]
    public async Task Seeds_to_a_transmission_leecher_that_requires_encryption(CancellationToken ct)
    {
        RequiredTool.Ensure("transmission-daemon");
        var (temp, source, torrent) = await CreateAsync("tr-leech", 2 * 1024 * 1024 + 41, 64, ct);
        await using var _t = temp;
        await using var daemon = await TransmissionDaemon.StartAsync(temp.CreateSubdirectory("transmission"), cancellationToken: ct, encryption: "required");
        var output = temp.CreateSubdirectory("tr-out");
        await daemon.AddTorrentAsync(torrent.TorrentPath, output, ct);

        // Transmission never dials loopback peers: our seeder dials it, under Require.
        await using var seeder = P2PShareClient.StartSeed(temp.Path, torrent.TorrentPath, temp.Combine("seed"),
            "--peer", $"127.0.0.1:{daemon.PeerPort}", "--encryption", "require", "--verbose");
        await daemon.WaitForStatusAsync(torrent.InfoHash, s => s.IsComplete, TimeSpan.FromSeconds(60), "transmission to download everything from our seeder", ct);

        Assert.That(TestData.Sha256File(Path.Combine(output, Path.GetFileName(source))), Is.EqualTo(TestData.Sha256File(source)), seeder.Describe());
        var log = seeder.ReadLog();
        Assert.That(CountMatches(log, $@"Connected to 127\.0\.0\.1:{daemon.PeerPort} over ""?tcp\+rc4"), Is.GreaterThanOrEqualTo(1), seeder.Describe());
        Assert.That(CountMatches(log, @"over ""?tcp""?\s*$"), Is.Zero, "no plain connection under require");
    }

    [Test]
    public async Task Downloads_from_and_seeds_to_qBittorrent_with_encryption_forced(CancellationToken ct)
    {
        // One qBittorrent ("encryption": 1 = forced): it seeds torrent A to our download and leeches torrent B from our
        // seeder; both our ends run --encryption require, so neither side would accept a plaintext connection.
        RequiredTool.Ensure("qbittorrent-nox");
        var (temp, source, torrent) = await CreateAsync("qbt-forced-a", 2 * 1024 * 1024 + 5, 68, ct);
        await using var _t = temp;
        var sourceB = TestData.CreateFile(temp.Combine("seed-b", "qbt-forced-b.bin"), 2 * 1024 * 1024 + 7, 69);
        var torrentB = await P2PShareClient.CreateTorrentAsync(sourceB, temp.Combine("qbt-forced-b.torrent"), pieceSizeKiB: PieceSizeKiB, cancellationToken: ct);
        await using var qbittorrent = await QbittorrentPeer.StartAsync(temp.CreateSubdirectory("qbt"), ct);
        await qbittorrent.SetPreferencesAsync(new System.Text.Json.Nodes.JsonObject { ["encryption"] = 1 }, ct);
        var forced = await qbittorrent.GetPreferencesAsync(ct);
        Assert.That(forced.GetProperty("encryption").GetInt32(), Is.EqualTo(1), "qBittorrent took encryption = forced");
        await qbittorrent.AddTorrentAsync(torrent.TorrentPath, temp.Combine("seed"), torrent.InfoHash, cancellationToken: ct);
        await qbittorrent.WaitForInfoAsync(torrent.InfoHash, i => i.IsComplete, TimeSpan.FromSeconds(30), "qBittorrent to verify its data and seed", ct);

        var output = temp.CreateSubdirectory("out");
        await using (var downloader = P2PShareClient.StartDownload(temp.Path, torrent.TorrentPath, output,
            "--peer", $"127.0.0.1:{qbittorrent.PeerPort}", "--no-seed", "--give-up-after", "30", "--encryption", "require", "--verbose"))
        {
            await downloader.WaitForSuccessAsync(TimeSpan.FromSeconds(40), ct);
            DownloadCheck.SameContent(source, output, downloader);
            Assert.That(downloader.ReadLog(), Does.Contain($"Connected to 127.0.0.1:{qbittorrent.PeerPort} over tcp+rc4"), downloader.Describe());
        }

        await using var seeder = P2PShareClient.StartSeed(temp.Path, torrentB.TorrentPath, temp.Combine("seed-b"), "--encryption", "require", "--verbose");
        var port = await seeder.WaitUntilListeningAsync(TimeSpan.FromSeconds(30), ct);
        var qbOut = temp.CreateSubdirectory("qbt-out");
        await qbittorrent.AddTorrentAsync(torrentB.TorrentPath, qbOut, torrentB.InfoHash, cancellationToken: ct);
        await qbittorrent.AddPeersAsync(torrentB.InfoHash, [SeedScenarioLoopback(port)], ct);
        await qbittorrent.WaitForInfoAsync(torrentB.InfoHash, i => i.IsComplete, TimeSpan.FromSeconds(40), "qBittorrent to download B from our seeder", ct);
        Assert.That(TestData.Sha256File(Path.Combine(qbOut, Path.GetFileName(sourceB))), Is.EqualTo(TestData.Sha256File(sourceB)), seeder.Describe());
        Assert.That(seeder.ReadLog(), Does.Match(@"(Incoming connection from|Connected to) 127\.0\.0\.1:\d+ over ""?tcp\+rc4"), seeder.Describe());
    }

    [Test]
    public async Task Require_refuses_a_plaintext_only_libtorrent_peer_both_ways(CancellationToken ct)
    {
        RequiredTool.EnsureLibtorrent();
        var (temp, _, torrent) = await CreateAsync("lt-plain", 512 * 1024, 64, ct);
        await using var _t = temp;
        // Outgoing: our download under Require against a seeder that disables encryption gets nothing and gives up.
        await using var plainSeeder = await LibtorrentPeer.StartSeedAsync(torrent.TorrentPath, temp.Combine("seed"),
            o => o with { NoTrackers = true, Encryption = "disabled" }, ct);
        var output = temp.CreateSubdirectory("out");
        await using var downloader = P2PShareClient.StartDownload(temp.Path, torrent.TorrentPath, output,
            "--peer", $"127.0.0.1:{plainSeeder.Port}", "--no-seed", "--give-up-after", "25", "--encryption", "require", "--verbose");
        // The dial is retried with back-off (2, 4, 8 s and jitter) before it is given up and logged: give it the time.
        Assert.That(await downloader.WaitForExitAsync(TimeSpan.FromSeconds(60), ct), Is.Not.Zero, downloader.Describe());
        Assert.That(downloader.ReadLog(), Does.Contain("Could not connect to 127.0.0.1:" + plainSeeder.Port), downloader.Describe());
        Assert.That(downloader.ReadLog(), Does.Not.Contain("Connected to 127.0.0.1:" + plainSeeder.Port));

        // Incoming: a plaintext-only libtorrent leecher dialling our seeder under Require is refused.
        await using var seeder = P2PShareClient.StartSeed(temp.Path, torrent.TorrentPath, temp.Combine("seed"), "--encryption", "require", "--verbose");
        var port = await seeder.WaitUntilListeningAsync(TimeSpan.FromSeconds(30), ct);
        await using var leecher = await LibtorrentPeer.StartAsync(new LibtorrentPeerOptions(torrent.TorrentPath, temp.CreateSubdirectory("lt-out"))
        {
            Mode = LibtorrentMode.Leech, NoTrackers = true, ConnectTo = [SeedScenarioLoopback(port)], Encryption = "disabled",
        }, ct);
        await Eventually.UntilAsync(() => seeder.ReadLog().Contains("plain BitTorrent handshake refused", StringComparison.Ordinal), TimeSpan.FromSeconds(20),
            "our seeder to refuse the plain handshake", seeder.Describe, cancellationToken: ct);
        Assert.That(seeder.ReadLog(), Does.Not.Contain("Incoming connection from"), "no connection was accepted");
        Assert.That(leecher.LatestStatus?.TotalPayloadDownload ?? 0, Is.Zero);
    }

    [Test]
    public async Task Disable_cannot_reach_a_forced_libtorrent_seeder_and_says_why(CancellationToken ct)
    {
        RequiredTool.EnsureLibtorrent();
        var (temp, _, torrent) = await CreateAsync("lt-disable", 512 * 1024, 65, ct);
        await using var _t = temp;
        await using var seeder = await LibtorrentPeer.StartSeedAsync(torrent.TorrentPath, temp.Combine("seed"),
            o => o with { NoTrackers = true, Encryption = "forced", EncryptionLevel = "rc4" }, ct);
        var output = temp.CreateSubdirectory("out");
        await using var downloader = P2PShareClient.StartDownload(temp.Path, torrent.TorrentPath, output,
            "--peer", $"127.0.0.1:{seeder.Port}", "--no-seed", "--give-up-after", "8", "--encryption", "disable", "--verbose");
        Assert.That(await downloader.WaitForExitAsync(TimeSpan.FromSeconds(40), ct), Is.Not.Zero, downloader.Describe());
        Assert.That(downloader.ReadLog(), Does.Contain("the peer may require encryption, which is disabled"), downloader.Describe());
    }

    [Test]
    public async Task Bad_encryption_value_is_a_one_line_error_with_exit_code_2(CancellationToken ct)
    {
        var (temp, _, torrent) = await CreateAsync("bad-value", 64 * 1024, 66, ct);
        await using var _t = temp;
        await using var client = P2PShareClient.StartDownload(temp.Path, torrent.TorrentPath, temp.CreateSubdirectory("out"), "--encryption", "sometimes");
        Assert.That(await client.WaitForExitAsync(TimeSpan.FromSeconds(30), ct), Is.EqualTo(2), client.Describe());
        Assert.That(client.Process.StderrTail.Trim(), Does.Contain("--encryption 'sometimes': must be prefer, require or disable").And.Not.Contain("\n"));
    }

    [Test]
    public async Task Downloads_from_libtorrent_over_the_Fast_extension_with_have_all(CancellationToken ct)
    {
        RequiredTool.EnsureLibtorrent();
        var (temp, source, torrent) = await CreateAsync("lt-fast", 4 * 1024 * 1024 + 3, 67, ct);
        await using var _t = temp;
        await using var seeder = await LibtorrentPeer.StartSeedAsync(torrent.TorrentPath, temp.Combine("seed"), o => o with { NoTrackers = true }, ct);
        var output = temp.CreateSubdirectory("out");
        await using var downloader = P2PShareClient.StartDownload(temp.Path, torrent.TorrentPath, output,
            "--peer", $"127.0.0.1:{seeder.Port}", "--no-seed", "--give-up-after", "40", "--verbose");
        await downloader.WaitForSuccessAsync(TimeSpan.FromSeconds(60), ct);

        DownloadCheck.SameContent(source, output, downloader);
        var log = downloader.ReadLog();
        Assert.That(log, Does.Match(@"Peer 127\.0\.0\.1:\d+ speaks the Fast extension"), downloader.Describe());
        Assert.That(log, Does.Match(@"Peer 127\.0\.0\.1:\d+ has all pieces \(have-all\)"), downloader.Describe());
        Assert.That(log, Does.Not.Contain("protocol violation"), downloader.Describe());
    }

    private static System.Net.IPEndPoint SeedScenarioLoopback(int port) => new(System.Net.IPAddress.Loopback, port);
}
