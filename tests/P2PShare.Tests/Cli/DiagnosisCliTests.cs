using P2PShare.Tests.Support;

namespace P2PShare.Tests.Cli;

/// <summary>
/// 'download --why' and '--give-up-after' in scenarios built to cause a diagnosis, with no third-party program: a dead
/// tracker (a closed 127.0.0.1 port) and a scripted seeder that never unchokes. Each asserts the diagnosis names the cause.
/// </summary>
[TestFixture]
[CancelAfter(60_000)]
public sealed class DiagnosisCliTests
{
    [Test]
    public async Task A_dead_tracker_is_named_with_its_error_and_the_give_up_message_carries_the_diagnosis(CancellationToken ct)
    {
        await using var work = new TempDirectory("p2pshare-why-tracker-");
        var source = TestData.CreateFile(work.Combine("seed", "data.bin"), 256 * 1024, seed: 71);
        var deadPort = FreePort.Get();
        var tracker = $"http://127.0.0.1:{deadPort}/announce";
        var torrent = await P2PShareClient.CreateTorrentAsync(source, work.Combine("data.torrent"), trackers: [tracker], pieceSizeKiB: 64, cancellationToken: ct);

        var started = DateTime.UtcNow;
        await using var client = P2PShareClient.StartDownload(work.Path, torrent.TorrentPath, work.CreateSubdirectory("out"), "--why", "--give-up-after", "5");
        var exit = await client.WaitForExitAsync(TimeSpan.FromSeconds(40), ct);
        var stderr = client.Process.StderrTail;
        var stdout = client.Process.StdoutTail;
        TestContext.Out.WriteLine($"gave up after {(DateTime.UtcNow - started).TotalSeconds:0.0} s; stderr: {stderr}");

        Assert.That(exit, Is.EqualTo(1), client.Describe());
        Assert.That(stderr, Does.Contain("[no-peer-source] no source of peers works: every tracker fails"), client.Describe());
        Assert.That(stderr, Does.Contain("[trackers-failing]").And.Contain($"tracker {tracker}: Connection refused"), client.Describe());
        // --why printed it while running, before the give-up.
        Assert.That(stdout, Does.Contain("[trackers-failing] the tracker fails: Connection refused"), client.Describe());
    }

    [Test]
    public async Task A_seeder_that_never_unchokes_is_named_all_choked(CancellationToken ct)
    {
        await using var work = new TempDirectory("p2pshare-why-choke-");
        var source = TestData.CreateFile(work.Combine("seed", "data.bin"), 512 * 1024, seed: 72);
        var torrent = await P2PShareClient.CreateTorrentAsync(source, work.Combine("data.torrent"), pieceSizeKiB: 64, cancellationToken: ct);
        await using var seeder = await MisbehavingSeeder.StartAsync(SeederMisbehaviour.NeverUnchoke, torrent.TorrentPath, source, cancellationToken: ct);

        var started = DateTime.UtcNow;
        await using var client = P2PShareClient.StartDownload(work.Path, torrent.TorrentPath, work.CreateSubdirectory("out"),
            "--peer", seeder.PeerArgument, "--transport", "tcp", "--encryption", "disable", "--why", "--give-up-after", "60");
        // The analyser gives a peer 20 s to unchoke (clients rechoke every 10-15 s).
        await Eventually.UntilAsync(() => client.Process.StdoutTail.Contains("[all-choked]"), TimeSpan.FromSeconds(40),
            "the diagnosis names the choking seeder", client.Describe, cancellationToken: ct);
        TestContext.Out.WriteLine($"all-choked after {(DateTime.UtcNow - started).TotalSeconds:0.0} s");

        var stdout = client.Process.StdoutTail;
        Assert.That(stdout, Does.Contain("all choke us").And.Contain($"{seeder.EndPoint} ("), client.Describe());
        Assert.That(stdout, Does.Match(@"choking us for \d+ s, we are interested"), client.Describe());
        Assert.That(seeder.Connections, Is.Not.Empty, seeder.Describe());
        Assert.That(seeder.Connections.Sum(c => c.RequestsReceived), Is.Zero, "a choked client must not request: " + seeder.Describe());
    }
}
