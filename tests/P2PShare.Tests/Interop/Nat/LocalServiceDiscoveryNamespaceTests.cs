using System.Diagnostics;
using P2PShare.Tests.Support;

namespace P2PShare.Tests.Interop.Nat;

/// <summary>
/// BEP 14 on a LAN of its own: two network namespaces joined by a veth pair with multicast routed onto it. Peers find
/// each other only through LSD (no tracker, no --peer, no DHT) and transfer a torrent: P2PShare to P2PShare, and
/// libtorrent (LSD on) to P2PShare.
/// </summary>
[TestFixture, Category("Interop"), NonParallelizable]
public sealed class LocalServiceDiscoveryNamespaceTests
{
    private const string SeederAddress = "10.88.0.1";
    private const string LeecherAddress = "10.88.0.2";

    private static async Task<(NetworkNamespaces Lab, string Seeder, string Leecher)> LanAsync(CancellationToken cancellationToken)
    {
        var lab = new NetworkNamespaces();
        try
        {
            var seeder = await lab.AddAsync("s", cancellationToken);
            var leecher = await lab.AddAsync("l", cancellationToken);
            var (left, right) = await lab.LinkAsync(seeder, SeederAddress + "/24", leecher, LeecherAddress + "/24", "m", cancellationToken);
            await lab.RunAsync(cancellationToken, "-n", seeder, "route", "add", "224.0.0.0/4", "dev", left);
            await lab.RunAsync(cancellationToken, "-n", leecher, "route", "add", "224.0.0.0/4", "dev", right);
            return (lab, seeder, leecher);
        }
        catch
        {
            await lab.DisposeAsync();
            throw;
        }
    }

    private static readonly Dictionary<string, string?> LsdAllowed = new() { [LocalOnlyEnvironment.Variable] = null };

    private static P2PShareClient StartLeecher(TempDirectory work, NetworkNamespaces lab, string ns, string torrent) =>
        P2PShareClient.Start(work.Path, "lsd-leech",
            ["download", torrent, "-o", work.CreateSubdirectory("out"), "--bind", "0.0.0.0", "--port", "0", "--no-port-mapping", "--no-seed", "--give-up-after", "30"],
            LsdAllowed, launcher: lab.Launcher(ns));

    [Test, CancelAfter(60_000)]
    public async Task Two_p2pshare_processes_find_each_other_by_lsd_and_transfer(CancellationToken cancellationToken)
    {
        await using var work = new TempDirectory();
        var (lab, seederNs, leecherNs) = await LanAsync(cancellationToken);
        await using var _ = lab;
        var data = TestData.CreateFile(work.Combine("seed", "data.bin"), 1 << 20, seed: 14);
        var torrent = await P2PShareClient.CreateTorrentAsync(data, work.Combine("data.torrent"), pieceSizeKiB: 64, cancellationToken: cancellationToken);
        var clock = Stopwatch.StartNew();
        // The leecher first: the seeder's announce at its start is what the leecher hears.
        await using var leecher = StartLeecher(work, lab, leecherNs, torrent.TorrentPath);
        await leecher.WaitUntilListeningAsync(TimeSpan.FromSeconds(20), cancellationToken);
        await using var seeder = P2PShareClient.Start(work.Path, "lsd-seed",
            ["seed", torrent.TorrentPath, "--data", work.Combine("seed"), "--bind", "0.0.0.0", "--port", "0", "--no-port-mapping"], LsdAllowed, launcher: lab.Launcher(seederNs));
        await leecher.WaitForSuccessAsync(TimeSpan.FromSeconds(40), cancellationToken);
        TestContext.Out.WriteLine($"P2PShare -> P2PShare over LSD: 1 MiB in {clock.Elapsed.TotalSeconds:0.00} s (both starts included)");
        Assert.That(TestData.Sha256File(work.Combine("out", "data.bin")), Is.EqualTo(TestData.Sha256File(data)));
        Assert.That(leecher.ReadLog(), Does.Contain($"LSD: peer {SeederAddress}:"), "the seeder was learnt through LSD");
    }

    [Test, CancelAfter(60_000)]
    public async Task P2pshare_finds_a_libtorrent_seeder_by_lsd_and_downloads(CancellationToken cancellationToken)
    {
        await using var work = new TempDirectory();
        var (lab, seederNs, leecherNs) = await LanAsync(cancellationToken);
        await using var _ = lab;
        var data = TestData.CreateFile(work.Combine("seed", "data.bin"), 1 << 20, seed: 15);
        var torrent = await LibtorrentTorrent.CreateAsync(data, work.Combine("data.torrent"), 64 * 1024, cancellationToken: cancellationToken);
        var clock = Stopwatch.StartNew();
        await using var leecher = StartLeecher(work, lab, leecherNs, torrent.TorrentPath);
        await leecher.WaitUntilListeningAsync(TimeSpan.FromSeconds(20), cancellationToken);
        await using var seeder = await LibtorrentPeer.StartAsync(new LibtorrentPeerOptions(torrent.TorrentPath, work.Combine("seed"))
        {
            Mode = LibtorrentMode.Seed,
            NoTrackers = true,
            Bind = SeederAddress,
            Lsd = true,
            Launcher = lab.Launcher(seederNs),
        }, cancellationToken);
        await leecher.WaitForSuccessAsync(TimeSpan.FromSeconds(40), cancellationToken);
        TestContext.Out.WriteLine($"libtorrent -> P2PShare over LSD: 1 MiB in {clock.Elapsed.TotalSeconds:0.00} s (both starts included)");
        Assert.That(TestData.Sha256File(work.Combine("out", "data.bin")), Is.EqualTo(TestData.Sha256File(data)));
        Assert.That(leecher.ReadLog(), Does.Contain($"LSD: peer {SeederAddress}:{seeder.Port}"), "the libtorrent seeder was learnt through LSD");
    }
}
