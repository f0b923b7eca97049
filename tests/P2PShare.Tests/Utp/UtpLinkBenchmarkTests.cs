using System.Globalization;
using System.Text.Json;
using P2PShare.Tests.Support;

namespace P2PShare.Tests.Utp;

/// <summary>
/// Issue #15's link figure as a test: scripts/bench-link puts a libtorrent seeder (uTP only) and the leechers in two
/// network namespaces joined by a veth pair capped at 200 Mbit/s (tc tbf) with 50 ms of round-trip delay (delayq over
/// NFQUEUE). p2pshare and then a libtorrent leecher download the same 256 MiB from the same seeder over uTP; p2pshare
/// must reach at least 90% of libtorrent's throughput in the same run (the machine's load hits both alike).
/// The script deletes its namespaces on exit and on SIGTERM; this test deletes them too if it had to kill it.
/// </summary>
[TestFixture, Category("Interop")]
public sealed class UtpLinkBenchmarkTests
{
    private const int SizeMib = 256;
    private const double MinimumRatio = 0.9;
    private static readonly TimeSpan PerTransferTimeout = TimeSpan.FromSeconds(100);

    [Test, CancelAfter(300_000)]
    public async Task UtpDownloadOverA200MbitLinkWith50msRttKeepsUpWithLibtorrent(CancellationToken ct)
    {
        var python = RequiredTool.EnsureLibtorrent();
        // bench-link: namespaces and veth (ip), the rate cap (tc), the NFQUEUE rule (iptables), delayq built with gcc.
        RequiredTool.Ensure("ip", "tc", "iptables", "gcc", "/usr/include/libnetfilter_queue/libnetfilter_queue.h");
        if (Environment.UserName != "root" && !RequiredTool.IsCi)
            Assert.Ignore("network namespaces need root");

        await using var temp = new TempDirectory("p2pshare-utp-link-");
        var json = temp.Combine("link.json");
        var prefix = "p2u" + Convert.ToHexStringLower(BitConverter.GetBytes(Random.Shared.Next())).AsSpan(0, 6).ToString();
        var script = Path.Combine(SwarmScripts.RepositoryRoot, "scripts", "bench-link");
        try
        {
            await using var bench = ExternalProcess.Start(python,
                [script, "--transport", "utp", "--size-mib", SizeMib.ToString(CultureInfo.InvariantCulture), "--rounds", "1",
                 "--dll", P2PShareClient.CliPath, "--json", json, "--netns-prefix", prefix,
                 "--timeout", PerTransferTimeout.TotalSeconds.ToString(CultureInfo.InvariantCulture)],
                environment: new Dictionary<string, string?> { ["TMPDIR"] = temp.Path }, name: "bench-link");
            int code;
            try
            {
                code = await bench.WaitForExitAsync(2 * PerTransferTimeout + TimeSpan.FromSeconds(60), ct);
            }
            finally
            {
                // SIGTERM lets the script kill its seeder and delayq and delete its namespaces; then the tree is killed.
                if (!bench.HasExited)
                    await bench.StopAsync(TimeSpan.FromSeconds(15), CancellationToken.None);
            }
            TestContext.Out.WriteLine(bench.StdoutTail);
            Assert.That(File.Exists(json), Is.True, $"bench-link wrote no figures (exit {code}).{Environment.NewLine}{bench.Describe()}");
            Assert.That(code, Is.AnyOf(0, 1), $"bench-link failed (1 = a transfer failed, checked below).{Environment.NewLine}{bench.Describe()}");

            using var figures = JsonDocument.Parse(await File.ReadAllBytesAsync(json, ct));
            double? ours = null, theirs = null;
            var libtorrentTimedOut = false;
            foreach (var row in figures.RootElement.GetProperty("rows").EnumerateArray())
            {
                var client = row.GetProperty("client").GetString();
                var ok = row.GetProperty("ok").GetBoolean();
                var exit = row.GetProperty("exit").GetInt32();
                var rate = row.GetProperty("mbps").GetDouble();
                TestContext.Out.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"{client}: {SizeMib} MiB in {row.GetProperty("wall").GetDouble():0.00} s, {rate:0.0} MB/s, " +
                    $"{row.GetProperty("cpu").GetDouble() / (SizeMib / 1024.0):0.0} CPU s/GiB, ok {ok}, exit {exit}"));
                if (client == "p2pshare")
                {
                    Assert.That(ok, Is.True, $"p2pshare did not download the data intact over the link (exit {exit})");
                    ours = rate;
                }
                else if (ok)
                {
                    theirs = rate;
                }
                else
                {
                    // The yardstick ran out of time (a loaded machine slows libtorrent's uTP more than ours): it was
                    // slower than size/timeout, which bounds the ratio from below.
                    Assert.That(exit, Is.EqualTo(-9), $"libtorrent failed (exit {exit}) rather than running out of time");
                    libtorrentTimedOut = true;
                    theirs = rate;
                }
            }
            Assert.That(ours, Is.Not.Null, "no p2pshare figure");
            Assert.That(theirs, Is.Not.Null, "no libtorrent figure");
            var ratio = ours!.Value / theirs!.Value;
            TestContext.Out.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"p2pshare/libtorrent uTP throughput: {(libtorrentTimedOut ? "at least " : "")}{ratio:0.00}x (must be >= {MinimumRatio:0.00}); load average {File.ReadAllText("/proc/loadavg").Trim()}"));
            Assert.That(ratio, Is.GreaterThanOrEqualTo(MinimumRatio), "p2pshare's uTP download is slower than 90% of libtorrent's over the same link");
        }
        finally
        {
            await DeleteNamespacesAsync(prefix);
        }
    }

    /// <summary>Deletes what bench-link may have left when it was killed (normally it has deleted both already).</summary>
    private static async Task DeleteNamespacesAsync(string prefix)
    {
        foreach (var ns in new[] { $"{prefix}-s", $"{prefix}-l" })
        {
            if (!File.Exists(Path.Combine("/run/netns", ns)))
                continue;
            await using var delete = ExternalProcess.Start(RequiredTool.Ensure("ip"), ["netns", "del", ns], name: "ip netns del");
            var code = await delete.WaitForExitAsync(TimeSpan.FromSeconds(10));
            TestContext.Out.WriteLine($"deleted namespace {ns} left behind by bench-link (exit {code})");
        }
    }
}
