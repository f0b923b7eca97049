using System.Diagnostics;

namespace P2PShare.Tests.Support;

/// <summary>
/// Proves the interop harness against the real programs, with no P2PShare code involved: every transfer
/// is between third-party clients on 127.0.0.1 and the received data is compared by SHA-256.
/// </summary>
[TestFixture]
[Category("Interop")]
[NonParallelizable]
public sealed class HarnessTests
{
    private const long DataSize = 3 * 1024 * 1024 + 12_345; // a few MiB with a partial last piece
    private const int PieceLength = 64 * 1024;
    private static readonly TimeSpan TransferTimeout = TimeSpan.FromSeconds(60);

    private TempDirectory _shared = null!;
    private string _seedDirectory = null!;
    private string _dataSha256 = null!;
    private CreatedTorrent _torrent = null!;

    [OneTimeSetUp]
    public async Task CreateTorrentOnceAsync()
    {
        RequiredTool.EnsureLibtorrent();
        _shared = new TempDirectory("p2pshare-harness-");
        _seedDirectory = _shared.CreateSubdirectory("seed");
        var file = TestData.CreateFile(Path.Combine(_seedDirectory, "payload.bin"), DataSize, seed: 4242);
        _dataSha256 = TestData.Sha256File(file);
        _torrent = await LibtorrentTorrent.CreateAsync(file, _shared.Combine("payload.torrent"), PieceLength);
    }

    [OneTimeTearDown]
    public void DeleteShared() => _shared?.Dispose();

    [Test]
    public void LibtorrentCreatesAV1TorrentOfTheData()
    {
        Assert.Multiple(() =>
        {
            Assert.That(_torrent.InfoHash, Does.Match("^[0-9a-f]{40}$"));
            Assert.That(_torrent.TotalSize, Is.EqualTo(DataSize));
            Assert.That(_torrent.PieceLength, Is.EqualTo(PieceLength));
            Assert.That(_torrent.NumPieces, Is.EqualTo((int)((DataSize + PieceLength - 1) / PieceLength)));
            Assert.That(_torrent.Name, Is.EqualTo("payload.bin"));
            Assert.That(File.Exists(_torrent.TorrentPath), Is.True);
        });
    }

    [Test, CancelAfter(90_000)]
    public async Task LibtorrentSeederToLibtorrentLeecherThroughOpenTracker([Values("http", "udp")] string scheme, CancellationToken ct)
    {
        await using var tracker = await OpenTrackerInstance.StartAsync(cancellationToken: ct);
        await tracker.WhitelistAsync(_torrent.InfoHash, ct);
        var announceUrl = scheme == "udp" ? tracker.UdpAnnounceUrl : tracker.HttpAnnounceUrl;
        await using var work = new TempDirectory();

        await using var seeder = await LibtorrentPeer.StartSeedAsync(_torrent.TorrentPath, _seedDirectory,
            o => o with { Trackers = [announceUrl] }, ct);
        // The leecher learns the seeder only from the tracker: no ConnectTo.
        await using var leecher = await LibtorrentPeer.StartAsync(new LibtorrentPeerOptions(_torrent.TorrentPath, work.Path)
        {
            Mode = LibtorrentMode.Leech,
            Trackers = [announceUrl],
        }, ct);

        var done = await leecher.WaitForExitAsync(TransferTimeout, ct);
        Assert.That(done.TotalPayloadDownload, Is.GreaterThanOrEqualTo(DataSize));
        Assert.That(TestData.Sha256File(work.Combine("payload.bin")), Is.EqualTo(_dataSha256));
        await seeder.WaitUntilUploadedAsync(DataSize, TimeSpan.FromSeconds(10), ct);
    }

    [Test, CancelAfter(90_000)]
    public async Task LibtorrentSeederToTransmissionLeecher(CancellationToken ct)
    {
        await using var work = new TempDirectory();
        await using var transmission = await TransmissionDaemon.StartAsync(work.Path, cancellationToken: ct);
        var downloads = work.CreateSubdirectory("downloads");
        await transmission.AddTorrentAsync(_torrent.TorrentPath, downloads, ct);

        // Transmission never dials loopback peers: libtorrent dials it.
        await using var seeder = await LibtorrentPeer.StartSeedAsync(_torrent.TorrentPath, _seedDirectory,
            o => o with { NoTrackers = true, ConnectTo = [transmission.PeerEndPoint] }, ct);

        var status = await transmission.WaitForStatusAsync(_torrent.InfoHash, s => s.IsComplete, TransferTimeout,
            "the download to complete", ct);
        Assert.That(status.DownloadedEver, Is.GreaterThanOrEqualTo(DataSize));
        Assert.That(TestData.Sha256File(Path.Combine(downloads, "payload.bin")), Is.EqualTo(_dataSha256));
    }

    [Test, CancelAfter(90_000)]
    public async Task LibtorrentSeederToAria2Leecher(CancellationToken ct)
    {
        await using var work = new TempDirectory();
        await using var aria2 = await Aria2Peer.StartAsync(new Aria2PeerOptions(_torrent.TorrentPath, work.Path) { NoTrackers = true }, ct);
        // aria2 has no add-peer call: libtorrent dials it.
        await using var seeder = await LibtorrentPeer.StartSeedAsync(_torrent.TorrentPath, _seedDirectory,
            o => o with { NoTrackers = true, ConnectTo = [aria2.EndPoint] }, ct);

        var status = await aria2.WaitForStatusAsync(s => s.IsComplete, TransferTimeout, "the download to complete", ct);
        Assert.That(status.TotalLength, Is.EqualTo(DataSize));
        Assert.That(await aria2.ShutdownAsync(ct), Is.EqualTo(0));
        Assert.That(TestData.Sha256File(work.Combine("payload.bin")), Is.EqualTo(_dataSha256));
        await seeder.WaitUntilUploadedAsync(DataSize, TimeSpan.FromSeconds(10), ct);
    }

    [Test, CancelAfter(90_000)]
    public async Task LibtorrentSeederToQbittorrentLeecherViaAddPeers(CancellationToken ct)
    {
        await using var work = new TempDirectory();
        await using var seeder = await LibtorrentPeer.StartSeedAsync(_torrent.TorrentPath, _seedDirectory,
            o => o with { NoTrackers = true }, ct);
        await using var qbittorrent = await QbittorrentPeer.StartAsync(work.Path, ct);
        var downloads = work.CreateSubdirectory("downloads");
        await qbittorrent.AddTorrentAsync(_torrent.TorrentPath, downloads, _torrent.InfoHash, cancellationToken: ct);
        await qbittorrent.AddPeersAsync(_torrent.InfoHash, [seeder.EndPoint], ct);

        var info = await qbittorrent.WaitForInfoAsync(_torrent.InfoHash, i => i.IsComplete, TransferTimeout,
            "the download to complete", ct);
        Assert.That(info.Size, Is.EqualTo(DataSize));
        Assert.That(TestData.Sha256File(Path.Combine(downloads, "payload.bin")), Is.EqualTo(_dataSha256));
        await seeder.WaitUntilUploadedAsync(DataSize, TimeSpan.FromSeconds(10), ct);
    }

    [Test, CancelAfter(90_000)]
    public async Task TransmissionSeederToLibtorrentLeecher(CancellationToken ct)
    {
        await using var work = new TempDirectory();
        await using var transmission = await TransmissionDaemon.StartAsync(work.Path, cancellationToken: ct);
        await transmission.AddTorrentAsync(_torrent.TorrentPath, _seedDirectory, ct);
        await transmission.WaitForStatusAsync(_torrent.InfoHash, s => s.IsSeeding && s.IsComplete, TimeSpan.FromSeconds(30),
            "the existing data to be verified and seeded", ct);

        var leechDirectory = work.CreateSubdirectory("leech");
        await using var leecher = await LibtorrentPeer.StartAsync(new LibtorrentPeerOptions(_torrent.TorrentPath, leechDirectory)
        {
            Mode = LibtorrentMode.Leech,
            NoTrackers = true,
            ConnectTo = [transmission.PeerEndPoint],
        }, ct);

        await leecher.WaitForExitAsync(TransferTimeout, ct);
        Assert.That(TestData.Sha256File(Path.Combine(leechDirectory, "payload.bin")), Is.EqualTo(_dataSha256));
        var seeded = await transmission.WaitForStatusAsync(_torrent.InfoHash, s => s.UploadedEver >= DataSize,
            TimeSpan.FromSeconds(10), "uploadedEver to count the upload", ct);
        Assert.That(seeded.UploadedEver, Is.GreaterThanOrEqualTo(DataSize));
    }

    [Test, CancelAfter(90_000)]
    public async Task Aria2SeederToLibtorrentLeecher(CancellationToken ct)
    {
        await using var work = new TempDirectory();
        await using var aria2 = await Aria2Peer.StartAsync(
            new Aria2PeerOptions(_torrent.TorrentPath, _seedDirectory) { Seed = true, NoTrackers = true }, ct);
        await aria2.WaitForStatusAsync(s => s.IsComplete && s.Status == "active", TimeSpan.FromSeconds(30), "the data to be verified", ct);

        var leechDirectory = work.CreateSubdirectory("leech");
        await using var leecher = await LibtorrentPeer.StartAsync(new LibtorrentPeerOptions(_torrent.TorrentPath, leechDirectory)
        {
            Mode = LibtorrentMode.Leech,
            NoTrackers = true,
            ConnectTo = [aria2.EndPoint],
        }, ct);

        await leecher.WaitForExitAsync(TransferTimeout, ct);
        Assert.That(TestData.Sha256File(Path.Combine(leechDirectory, "payload.bin")), Is.EqualTo(_dataSha256));
        await aria2.WaitForStatusAsync(s => s.UploadLength >= DataSize, TimeSpan.FromSeconds(10), "uploadLength to count the upload", ct);
    }

    [Test, CancelAfter(90_000)]
    public async Task QbittorrentSeederToLibtorrentLeecher(CancellationToken ct)
    {
        await using var work = new TempDirectory();
        await using var qbittorrent = await QbittorrentPeer.StartAsync(work.Path, ct);
        await qbittorrent.AddTorrentAsync(_torrent.TorrentPath, _seedDirectory, _torrent.InfoHash, cancellationToken: ct);
        await qbittorrent.WaitForInfoAsync(_torrent.InfoHash, i => i.IsComplete, TimeSpan.FromSeconds(30), "the data to be verified", ct);

        var leechDirectory = work.CreateSubdirectory("leech");
        await using var leecher = await LibtorrentPeer.StartAsync(new LibtorrentPeerOptions(_torrent.TorrentPath, leechDirectory)
        {
            Mode = LibtorrentMode.Leech,
            NoTrackers = true,
            ConnectTo = [qbittorrent.PeerEndPoint],
        }, ct);

        await leecher.WaitForExitAsync(TransferTimeout, ct);
        Assert.That(TestData.Sha256File(Path.Combine(leechDirectory, "payload.bin")), Is.EqualTo(_dataSha256));
        await qbittorrent.WaitForInfoAsync(_torrent.InfoHash, i => i.Uploaded >= DataSize, TimeSpan.FromSeconds(15),
            "uploaded to count the upload", ct);
    }

    [Test, CancelAfter(60_000)]
    public async Task LibtorrentConnectPeerCommandDialsAPeerStartedLater(CancellationToken ct)
    {
        await using var work = new TempDirectory();
        await using var seeder = await LibtorrentPeer.StartSeedAsync(_torrent.TorrentPath, _seedDirectory, o => o with { NoTrackers = true }, ct);
        await using var leecher = await LibtorrentPeer.StartAsync(
            new LibtorrentPeerOptions(_torrent.TorrentPath, work.Path) { Mode = LibtorrentMode.LeechThenSeed, NoTrackers = true }, ct);
        await leecher.ConnectPeerAsync(seeder.EndPoint, ct);
        var complete = await leecher.WaitUntilCompleteAsync(TransferTimeout, ct);
        Assert.That(complete.TotalPayloadDownload, Is.GreaterThanOrEqualTo(DataSize));
        // LeechThenSeed keeps running after completion; SIGTERM ends it with a final "done" line.
        var done = await leecher.StopAsync(cancellationToken: ct);
        Assert.That(done?.Raw.GetProperty("reason").GetString(), Is.EqualTo("signal"));
        Assert.That(leecher.Process.ExitCode, Is.EqualTo(0));
        Assert.That(TestData.Sha256File(work.Combine("payload.bin")), Is.EqualTo(_dataSha256));
    }
}

/// <summary>The harness's own building blocks, without third-party programs.</summary>
[TestFixture]
public sealed class HarnessUtilityTests
{
    [Test]
    public async Task EventuallyFailsWithWhatItWaitedFor()
    {
        var clock = Stopwatch.StartNew();
        var failure = Assert.ThrowsAsync<AssertionException>(() =>
            Eventually.UntilAsync(() => false, TimeSpan.FromMilliseconds(300), "the moon to turn blue", () => "extra detail"));
        Assert.That(failure!.Message, Does.Contain("the moon to turn blue").And.Contain("extra detail"));
        Assert.That(clock.Elapsed, Is.LessThan(TimeSpan.FromSeconds(5)));
        await Eventually.UntilAsync(() => clock.Elapsed > TimeSpan.FromMilliseconds(350), TimeSpan.FromSeconds(5), "time to pass");
    }

    [Test]
    [NonParallelizable]
    public void RequiredToolIgnoresLocallyAndFailsUnderCi()
    {
        const string missing = "p2pshare-no-such-program-7f3a";
        var saved = Environment.GetEnvironmentVariable("CI");
        try
        {
            Assert.That(RequiredTool.Find(missing), Is.Null);
            Environment.SetEnvironmentVariable("CI", null);
            var ignored = Assert.Throws<IgnoreException>(() => RequiredTool.Ensure(missing));
            Assert.That(ignored!.Message, Does.Contain(missing));
            Environment.SetEnvironmentVariable("CI", "true");
            var failed = Assert.Throws<AssertionException>(() => RequiredTool.Ensure(missing));
            Assert.That(failed!.Message, Does.Contain(missing).And.Contain("CI=true"));
            Assert.That(RequiredTool.Ensure("/bin/sh"), Is.EqualTo("/bin/sh"));
        }
        finally
        {
            Environment.SetEnvironmentVariable("CI", saved);
        }
    }

    [Test]
    public void FreePortsAreDistinctAndBindable()
    {
        var ports = FreePort.GetMany(5);
        Assert.That(ports.Distinct().Count(), Is.EqualTo(5));
        using var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, ports[0]);
        listener.Start();
        using var udp = new System.Net.Sockets.UdpClient(new System.Net.IPEndPoint(System.Net.IPAddress.Loopback, ports[0]));
    }

    [Test]
    public void TempDirectoryDeletesItsTree()
    {
        string path;
        using (var temp = new TempDirectory())
        {
            path = temp.Path;
            TestData.CreateTree(temp.Path, [("a/b/c.bin", 10), ("d.bin", 0)], seed: 1);
            Assert.That(File.Exists(temp.Combine("a", "b", "c.bin")), Is.True);
        }
        Assert.That(Directory.Exists(path), Is.False);
    }

    [Test]
    public void TestDataIsDeterministicAndTreeHashSeesContentAndNames()
    {
        using var temp = new TempDirectory();
        var one = TestData.CreateTree(temp.Combine("one"), [("x/1.bin", 70_000), ("2.bin", 5)], seed: 7);
        var two = TestData.CreateTree(temp.Combine("two"), [("x/1.bin", 70_000), ("2.bin", 5)], seed: 7);
        var other = TestData.CreateTree(temp.Combine("other"), [("x/1.bin", 70_000), ("2.bin", 5)], seed: 8);
        var renamed = TestData.CreateTree(temp.Combine("renamed"), [("y/1.bin", 70_000), ("2.bin", 5)], seed: 7);
        Assert.Multiple(() =>
        {
            Assert.That(TestData.Sha256Tree(two), Is.EqualTo(TestData.Sha256Tree(one)));
            Assert.That(TestData.Sha256Tree(other), Is.Not.EqualTo(TestData.Sha256Tree(one)));
            Assert.That(TestData.Sha256Tree(renamed), Is.Not.EqualTo(TestData.Sha256Tree(one)));
            Assert.That(new FileInfo(Path.Combine(one, "x", "1.bin")).Length, Is.EqualTo(70_000));
            Assert.That(TestData.Sha256File(Path.Combine(one, "2.bin")), Does.Match("^[0-9a-f]{64}$"));
        });
    }

    [Test, CancelAfter(30_000)]
    public async Task ExternalProcessKillsTheWholeTreeOnDispose(CancellationToken ct)
    {
        var sh = RequiredTool.Ensure("/bin/sh");
        int childPid;
        int parentPid;
        await using (var process = ExternalProcess.Start(sh, ["-c", "sleep 300 & echo \"{\\\"child\\\": $!}\"; wait"]))
        {
            var line = await process.WaitForJsonLineAsync(j => j.TryGetProperty("child", out _), TimeSpan.FromSeconds(10), "the child pid", ct);
            childPid = line.GetProperty("child").GetInt32();
            parentPid = process.Pid;
            Assert.That(IsAlive(childPid), Is.True);
        }
        await Eventually.UntilAsync(() => !IsAlive(childPid) && !IsAlive(parentPid), TimeSpan.FromSeconds(10),
            "the shell and its child to be gone", cancellationToken: ct);
    }

    [Test, CancelAfter(30_000)]
    public async Task ExternalProcessKeepsABoundedTailAndReportsExit(CancellationToken ct)
    {
        var sh = RequiredTool.Ensure("/bin/sh");
        await using var process = ExternalProcess.Start(sh, ["-c", "i=0; while [ $i -lt 500 ]; do echo line$i; i=$((i+1)); done; echo oops >&2; exit 3"],
            tailLines: 50);
        Assert.That(await process.WaitForExitAsync(TimeSpan.FromSeconds(10), ct), Is.EqualTo(3));
        Assert.That(process.StdoutTail, Does.Contain("line499").And.Not.Contain("line100\n"));
        Assert.That(process.StderrTail, Does.Contain("oops"));
        Assert.That(process.OutputTail, Does.Contain("earlier lines dropped"));
    }

    private static bool IsAlive(int pid)
    {
        // A zombie still has /proc/PID; treat state Z as gone.
        var stat = $"/proc/{pid}/stat";
        if (!File.Exists(stat))
        {
            return false;
        }
        try
        {
            var text = File.ReadAllText(stat);
            var afterName = text[(text.LastIndexOf(')') + 2)..];
            return afterName[0] != 'Z';
        }
        catch (IOException)
        {
            return false;
        }
    }
}
