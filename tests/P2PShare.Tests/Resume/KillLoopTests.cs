namespace P2PShare.Tests.Resume;

/// <summary>
/// Issue 7: a download killed with SIGKILL at random moments and restarted each time ends with the
/// right data, and what it fetched in all runs together is the file plus a little per kill.
/// </summary>
[TestFixture]
[Category("Interop")]
public sealed class KillLoopTests
{
    private const long Size = 256L * 1024 * 1024;
    private const int PieceLength = 1024 * 1024;
    private const int UploadLimit = 25_000_000;
    private const int Kills = 8;
    private const int SigKill = 9;

    /// <summary>
    /// Lost per kill at most: the blocks requested and in flight (the scheduler keeps at most 250 blocks of
    /// 16 KiB = 4 MiB outstanding) and the unfinished pieces they belong to. Pieces verified and written
    /// before the kill are found again by the start-up check even when the last resume save predates them.
    /// </summary>
    private const long AllowedWastePerKill = 6L * PieceLength;

    [Test]
    public async Task KilledAtRandomMoments_ResumesEachTime_DataMatches_LittleFetchedTwice()
    {
        await using var swarm = await ResumeSwarm.StartAsync(Size, PieceLength, UploadLimit, seed: 71);
        var random = new Random(7_001);
        var log = new List<string>();
        for (var kill = 0; kill < Kills; kill++)
        {
            var run = swarm.StartRun();
            // A random point of the transfer, then a random instant around it (not aligned with resume saves).
            var target = swarm.Uploaded + random.NextInt64(4, 24) * 1024 * 1024;
            var delay = TimeSpan.FromMilliseconds(random.Next(0, 300));
            var reached = await swarm.WaitUntilUploadedAsync(run, target, TimeSpan.FromSeconds(60));
            Assert.That(reached, Is.True, $"run {kill + 1} exited before it could be killed. " + swarm.Describe(run));
            await Task.Delay(delay);
            run.Process.Signal(SigKill);
            await run.WaitForExitAsync(TimeSpan.FromSeconds(10));
            var settled = await swarm.SettledUploadAsync();
            log.Add($"run {kill + 1}: killed at ~{target / 1048576} MiB + {delay.TotalMilliseconds:0} ms; held at start {ResumeSwarm.PiecesHeldAtStart(run)?.ToString() ?? "?"} pieces; seeder uploaded {settled} so far");
        }

        var last = swarm.StartRun();
        await last.WaitForSuccessAsync(TimeSpan.FromSeconds(90));
        var total = await swarm.SettledUploadAsync();
        log.Add($"final run: held at start {ResumeSwarm.PiecesHeldAtStart(last)?.ToString() ?? "?"} pieces; seeder uploaded {total} in all");
        TestContext.Progress.WriteLine(string.Join(Environment.NewLine, log));

        swarm.AssertDataMatches(last);
        Assert.That(total, Is.GreaterThanOrEqualTo(Size), "the seeder uploaded less than the file: the counter is not what we think");
        Assert.That(total - Size, Is.LessThanOrEqualTo(Kills * AllowedWastePerKill),
            $"{total - Size} bytes fetched twice over {Kills} kills.{Environment.NewLine}{string.Join(Environment.NewLine, log)}");
    }
}
