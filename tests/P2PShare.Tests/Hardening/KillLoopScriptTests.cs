using System.Globalization;
using System.Text.Json;
using P2PShare.Tests.Support;

namespace P2PShare.Tests.Hardening;

/// <summary>
/// Issue #25's kill loop, small enough for CI: scripts/kill-loop kills a real `p2pshare download` from a rate-capped
/// libtorrent seeder with SIGKILL ten times at random moments of the transfer, restarts it each time and lets the last
/// run finish. The data must come out right, and what the kills cost (bytes the seeder sent beyond the file size) must
/// stay within what one kill can lose.
/// </summary>
[TestFixture]
[NonParallelizable]
public sealed class KillLoopScriptTests
{
    private const int Kills = 10;
    private const int SizeBytes = 2 << 20;
    private const int PieceBytes = 32 * 1024;
    private const int SeederRate = 256 * 1024;

    /// <summary>
    /// What one SIGKILL may waste, on average over the kills: data sent to us and not yet both verified and written.
    /// A written piece is found again at the restart (a changed file, or one without resume data, is re-checked), so
    /// only what is in flight is lost: with one peer blocks arrive in request order, so about two pieces are being
    /// assembled and one more is between hash and disk, and the sockets hold what the capped seeder sent while our
    /// process was not scheduled (on a loaded machine, a few tenths of a second at 256 KiB/s): 6 pieces, 192 KiB.
    /// Measured here 5-70 KiB per kill over five runs. (The request pipeline, 2 s of the rate = 512 KiB, is a looser
    /// bound, too loose to notice a restart that keeps nothing: ~150-250 KiB per kill at this size.)
    /// </summary>
    private const long PerKillBound = 6L * PieceBytes;

    [Test]
    [Category("Interop")]
    [CancelAfter(240_000)]
    public async Task TenKillsAtRandomMomentsLoseOnlyPiecesInFlightAndTheDataIsRight(CancellationToken cancellationToken)
    {
        var python = RequiredTool.EnsureLibtorrent();
        await using var work = new TempDirectory("p2pshare-kill-loop-");
        var script = Path.Combine(SwarmScripts.RepositoryRoot, "scripts", "kill-loop");
        var seed = TestContext.CurrentContext.Random.Next(1, 1_000_000);
        string[] args = [script, Kills.ToString(CultureInfo.InvariantCulture),
            "--size-mib", (SizeBytes / (double)(1 << 20)).ToString(CultureInfo.InvariantCulture),
            "--rate", SeederRate.ToString(CultureInfo.InvariantCulture),
            "--piece-kib", (PieceBytes / 1024).ToString(CultureInfo.InvariantCulture),
            "--seed", seed.ToString(CultureInfo.InvariantCulture),
            "--dll", P2PShareClient.CliPath, "--work", work.Combine("loop")];
        TestContext.Out.WriteLine($"kill-loop seed {seed}");

        await using var loop = ExternalProcess.Start(python, args, name: "kill-loop");
        var exit = await loop.WaitForExitAsync(TimeSpan.FromSeconds(220), cancellationToken);
        TestContext.Out.WriteLine(loop.StderrTail);
        var summary = loop.LastJsonLine(j => j.TryGetProperty("event", out var e) && e.GetString() == "kill_loop");
        Assert.That(summary, Is.Not.Null, loop.Describe());
        var s = summary!.Value;

        var kills = s.GetProperty("kills").GetInt32();
        var refetched = s.GetProperty("refetched").GetInt64();
        var perKill = kills == 0 ? 0 : refetched / (double)kills;
        var finalRun = s.GetProperty("final_run_downloaded") is { ValueKind: JsonValueKind.Number } d ? d.GetInt64() : -1;
        var failures = string.Join("; ", s.GetProperty("failures").EnumerateArray().Select(f => f.GetString()));
        TestContext.Out.WriteLine(
            $"kills {kills}, seeder uploaded {s.GetProperty("seeder_uploaded").GetInt64()} for {SizeBytes} bytes: refetched {refetched} " +
            $"({perKill:F0} per kill, bound {PerKillBound}), largest killed run {s.GetProperty("max_sent_in_a_killed_run").GetInt64()}, " +
            $"last run downloaded {finalRun}");

        Assert.Multiple(() =>
        {
            Assert.That(exit, Is.EqualTo(0), loop.Describe());
            Assert.That(failures, Is.Empty);
            Assert.That(s.GetProperty("sha256_ok").GetBoolean(), Is.True, "the data after the last run matches the source");
            // The kill moments are spread over three quarters of the transfer; a run that completes first ends the loop.
            Assert.That(kills, Is.GreaterThanOrEqualTo(Kills / 2), "most kills landed while data was still missing");
            Assert.That(refetched, Is.GreaterThanOrEqualTo(0));
            Assert.That(perKill, Is.LessThanOrEqualTo(PerKillBound), "bytes refetched per kill");
            // Each killed run moved data for at least 0.2 s: a restart that keeps what was written leaves the last run
            // less than the whole file to fetch.
            Assert.That(finalRun, Is.GreaterThanOrEqualTo(0).And.LessThan(SizeBytes), "bytes the last run downloaded");
        });
    }
}
