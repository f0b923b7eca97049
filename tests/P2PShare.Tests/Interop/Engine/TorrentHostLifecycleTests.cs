using System.Net;
using Microsoft.Extensions.Logging.Abstractions;
using P2PShare.Engine;
using P2PShare.Hosting;
using P2PShare.Storage;
using P2PShare.Tests.Support;

namespace P2PShare.Tests.Interop.Engine;

/// <summary>
/// <see cref="TorrentHost"/> in-process with real loopback and libtorrent seeders: a torrent paused mid-way while
/// another downloads, resumed without fetching its verified pieces again, then removed with its data.
/// </summary>
[TestFixture]
[Category("Interop")]
public sealed class TorrentHostLifecycleTests
{
    private const int PieceLength = 64 * 1024;
    private const long SizeA = 4L << 20;
    private const long SizeB = 2L << 20;

    [Test]
    [CancelAfter(60_000)]
    public async Task Pause_resume_and_remove_a_torrent_while_another_keeps_downloading(CancellationToken ct)
    {
        await using var temp = new TempDirectory("p2pshare-engine-host-");
        var fileA = TestData.CreateFile(temp.Combine("seedA", "a.bin"), SizeA, seed: 71);
        var fileB = TestData.CreateFile(temp.Combine("seedB", "b.bin"), SizeB, seed: 72);
        var torrentA = await LibtorrentTorrent.CreateAsync(fileA, temp.Combine("a.torrent"), PieceLength, cancellationToken: ct);
        var torrentB = await LibtorrentTorrent.CreateAsync(fileB, temp.Combine("b.torrent"), PieceLength, cancellationToken: ct);
        // Throttled so that A is observably mid-way for seconds, and B still runs while A is paused.
        var seederATask = LibtorrentPeer.StartSeedAsync(torrentA.TorrentPath, temp.Combine("seedA"), o => o with { NoTrackers = true, UploadLimit = 400_000 }, ct);
        var seederBTask = LibtorrentPeer.StartSeedAsync(torrentB.TorrentPath, temp.Combine("seedB"), o => o with { NoTrackers = true, UploadLimit = 500_000 }, ct);
        await using var seederA = await seederATask;
        await using var seederB = await seederBTask;

        var time = TimeProvider.System;
        var loggers = NullLoggerFactory.Instance;
        await using var engine = ClientEngine.Start(new EngineSettings { ListenAddress = IPAddress.Loopback, Port = 0, Dht = false }, time, loggers);
        var host = new TorrentHost(engine, loggers, time);
        await using var hostScope = host;
        var output = temp.CreateSubdirectory("out");
        TorrentRunOptions Options(string torrent, LibtorrentPeer seeder) => new()
        {
            TorrentPath = torrent,
            DataDirectory = output,
            ListenAddress = IPAddress.Loopback,
            ExtraPeers = [seeder.EndPoint],
            SeedAfterDownload = false,
            ResumeSaveInterval = TimeSpan.FromMilliseconds(500),
        };
        var a = host.Add(Options(torrentA.TorrentPath, seederA), new SilentObserver());
        var b = host.Add(Options(torrentB.TorrentPath, seederB), new SilentObserver());

        await Eventually.UntilAsync(() => a.Runner?.Progress() is { VerifiedBytes: >= 1L << 20 }, TimeSpan.FromSeconds(20), "A to verify 1 MiB", Describe, cancellationToken: ct);
        Assert.That(b.State, Is.EqualTo(TorrentState.Downloading), "B still downloading when A is paused (its seeder is throttled)");
        await host.PauseAsync(a);
        var verifiedAtPause = a.Runner!.Progress()!.VerifiedBytes;
        var firstRun = a.Runner;
        Assert.Multiple(() =>
        {
            Assert.That(a.State, Is.EqualTo(TorrentState.Paused));
            Assert.That(verifiedAtPause, Is.LessThan(SizeA), "paused mid-way");
            Assert.That(host.Torrents, Has.Count.EqualTo(2));
        });

        // B goes on and completes while A is paused.
        await b.Run!.WaitAsync(TimeSpan.FromSeconds(20), ct);
        Assert.That(b.State, Is.EqualTo(TorrentState.Stopped));
        Assert.That(TestData.Sha256File(Path.Combine(output, "b.bin")), Is.EqualTo(TestData.Sha256File(fileB)));
        Assert.That(a.State, Is.EqualTo(TorrentState.Paused), "A stays paused while B finishes");

        // Resume A (its seeder no longer throttled): the new run trusts the resume data saved at the pause.
        await seederA.SetUploadLimitAsync(0, ct);
        host.Resume(a);
        Assert.That(a.Runner, Is.Not.SameAs(firstRun), "a new run");
        await a.Run!.WaitAsync(TimeSpan.FromSeconds(20), ct);
        var second = a.Runner!.Progress()!;
        Assert.Multiple(() =>
        {
            Assert.That(a.State, Is.EqualTo(TorrentState.Stopped));
            Assert.That(second.IsComplete, Is.True);
            // Only what was missing is fetched again (plus at most a few duplicate blocks of the endgame).
            Assert.That(second.DownloadedPayload, Is.LessThanOrEqualTo(SizeA - verifiedAtPause + 2 * PieceLength),
                $"second run downloaded {second.DownloadedPayload} bytes; {verifiedAtPause} were verified at the pause");
        });
        Assert.That(TestData.Sha256File(Path.Combine(output, "a.bin")), Is.EqualTo(TestData.Sha256File(fileA)));

        // Remove A with its data, B without.
        var resumeA = ResumeStore.ForDownloadDirectory(output).PathFor(a.Runner.InfoHash!);
        Assert.That(File.Exists(resumeA), Is.True, "A's resume data before removal");
        await host.RemoveAsync(a, deleteData: true);
        await host.RemoveAsync(b, deleteData: false);
        Assert.Multiple(() =>
        {
            Assert.That(File.Exists(Path.Combine(output, "a.bin")), Is.False, "A's file deleted");
            Assert.That(File.Exists(resumeA), Is.False, "A's resume data deleted");
            Assert.That(File.Exists(Path.Combine(output, "b.bin")), Is.True, "B's file kept");
            Assert.That(host.Torrents, Is.Empty);
            Assert.That(engine.Torrents, Is.Empty, "nothing routed on the port any more");
        });

        string Describe() => $"A: {a.State} {a.Runner?.Progress()}; B: {b.State} {b.Runner?.Progress()}{Environment.NewLine}{seederA.Process.Describe()}";
    }

    private sealed class SilentObserver : IRunObserver
    {
        public void Message(string text) => TestContext.Progress.WriteLine(text);

        public void Checking(string reason, double fraction)
        {
        }

        public void Progress(RunPhase phase, TorrentProgress progress, int listenPort)
        {
        }

        public void Peers(IReadOnlyList<PeerInfo> peers)
        {
        }
    }
}
