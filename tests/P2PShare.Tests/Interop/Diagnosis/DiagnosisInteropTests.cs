using P2PShare.Tests.Support;

namespace P2PShare.Tests.Interop.Diagnosis;

/// <summary>
/// Issue 23 with real clients where a real client is the cause: a libtorrent seeder that leaves at about 60%, a
/// download capped by --max-download-rate, and a libtorrent peer that requires encryption while ours is disabled.
/// Each runs 'download --why' and asserts the diagnosis names the cause.
/// </summary>
[TestFixture]
[Category("Interop")]
[CancelAfter(60_000)]
public sealed class DiagnosisInteropTests
{
    private static async Task<(TempDirectory Work, string Source, P2PShareTorrent Torrent)> CreateAsync(string name, int size, int seed, CancellationToken ct)
    {
        var work = new TempDirectory($"p2pshare-why-{name}-");
        var source = TestData.CreateFile(work.Combine("seed", "data.bin"), size, seed);
        var torrent = await P2PShareClient.CreateTorrentAsync(source, work.Combine("data.torrent"), pieceSizeKiB: 64, cancellationToken: ct);
        return (work, source, torrent);
    }

    [Test]
    public async Task The_only_seeder_leaving_at_60_percent_leaves_pieces_available_from_nobody(CancellationToken ct)
    {
        RequiredTool.EnsureLibtorrent();
        const int size = 3 * 1024 * 1024;
        var (work, _, torrent) = await CreateAsync("leaves", size, 81, ct);
        await using var _w = work;
        await using var seeder = await LibtorrentPeer.StartSeedAsync(torrent.TorrentPath, work.Combine("seed"),
            o => o with { NoTrackers = true, Encryption = "disabled", UploadLimit = 512 * 1024 }, ct);
        await using var client = P2PShareClient.StartDownload(work.Path, torrent.TorrentPath, work.CreateSubdirectory("out"),
            "--peer", $"127.0.0.1:{seeder.Port}", "--transport", "tcp", "--why", "--give-up-after", "6");

        await seeder.WaitUntilUploadedAsync(size * 6L / 10, TimeSpan.FromSeconds(30), ct);
        var uploaded = (await seeder.StopAsync(cancellationToken: ct))?.TotalPayloadUpload ?? 0;
        TestContext.Out.WriteLine($"seeder stopped (by PID) after uploading {uploaded} of {size} bytes ({100.0 * uploaded / size:0}%)");
        Assert.That(uploaded, Is.LessThan(size), "the seeder uploaded everything before it left: the test proves nothing");

        var exit = await client.WaitForExitAsync(TimeSpan.FromSeconds(30), ct);
        var stderr = client.Process.StderrTail;
        TestContext.Out.WriteLine(stderr);
        Assert.That(exit, Is.EqualTo(1), client.Describe());
        Assert.That(stderr, Does.Match(@"\[pieces-unavailable\] \d+ pieces \([\d.]+ [KM]iB, in 1 file\) are available from nobody"), client.Describe());
        Assert.That(stderr, Does.Contain("the swarm has no full copy").And.Contain("the last seed left").And.Contain("data.bin: "), client.Describe());
        Assert.That(client.Process.StdoutTail, Does.Contain("[pieces-unavailable]"), "--why printed it while running: " + client.Describe());
    }

    [Test]
    public async Task A_download_capped_by_max_download_rate_is_named_rate_limited(CancellationToken ct)
    {
        RequiredTool.EnsureLibtorrent();
        var (work, _, torrent) = await CreateAsync("capped", 3 * 1024 * 1024, 82, ct);
        await using var _w = work;
        await using var seeder = await LibtorrentPeer.StartSeedAsync(torrent.TorrentPath, work.Combine("seed"), o => o with { NoTrackers = true }, ct);
        var started = DateTime.UtcNow;
        await using var client = P2PShareClient.StartDownload(work.Path, torrent.TorrentPath, work.CreateSubdirectory("out"),
            "--peer", $"127.0.0.1:{seeder.Port}", "--max-download-rate", "256K", "--why", "--no-seed", "--give-up-after", "30");

        await Eventually.UntilAsync(() => client.Process.StdoutTail.Contains("[rate-limited]"), TimeSpan.FromSeconds(25),
            "the diagnosis names the rate limit", client.Describe, cancellationToken: ct);
        var line = client.Process.StdoutTail.Split('\n').First(l => l.Contains("[rate-limited]"));
        TestContext.Out.WriteLine($"after {(DateTime.UtcNow - started).TotalSeconds:0.0} s: {line.Trim()}");
        Assert.That(line, Does.Contain("the download rate limit is the cap").And.Contain("of 256.0 KiB/s allowed (--max-download-rate)"), client.Describe());
        Assert.That(client.Process.HasExited, Is.False, "the capped download should still be running: " + client.Describe());
    }

    [Test]
    public async Task An_encrypted_only_peer_with_encryption_disabled_is_named_encryption_mismatch(CancellationToken ct)
    {
        RequiredTool.EnsureLibtorrent();
        var (work, _, torrent) = await CreateAsync("enc", 512 * 1024, 83, ct);
        await using var _w = work;
        await using var seeder = await LibtorrentPeer.StartSeedAsync(torrent.TorrentPath, work.Combine("seed"),
            o => o with { NoTrackers = true, Encryption = "forced", EncryptionLevel = "rc4" }, ct);
        await using var client = P2PShareClient.StartDownload(work.Path, torrent.TorrentPath, work.CreateSubdirectory("out"),
            "--peer", $"127.0.0.1:{seeder.Port}", "--encryption", "disable", "--why", "--give-up-after", "5");

        var exit = await client.WaitForExitAsync(TimeSpan.FromSeconds(40), ct);
        var stderr = client.Process.StderrTail;
        TestContext.Out.WriteLine(stderr);
        Assert.That(exit, Is.EqualTo(1), client.Describe());
        Assert.That(stderr, Does.Contain("[encryption-mismatch] peers are known but none connects: the peers close plain handshakes: they require encryption, which is disabled (--encryption disable)"),
            client.Describe());
        Assert.That(stderr, Does.Contain($"127.0.0.1:{seeder.Port} (from given): connection closed during the handshake"), client.Describe());
    }
}
