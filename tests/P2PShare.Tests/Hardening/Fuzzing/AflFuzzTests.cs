using System.Text.RegularExpressions;
using P2PShare.Fuzz;
using P2PShare.Tests.Support;

namespace P2PShare.Tests.Hardening.Fuzzing;

/// <summary>
/// The AFL++ smoke in CI: scripts/fuzz runs every target of fuzz/P2PShare.Fuzz (SharpFuzz-instrumented copy of the
/// library) for a few seconds, two at a time, and fails on any crash; the self-test target proves that a crash is
/// found and reported. Needs afl-fuzz (Debian afl++, scripts/install-deps): missing under CI=true is a failure. The
/// solution build builds the driver; scripts/fuzz instruments a copy of its output (not the normal build).
/// </summary>
[TestFixture]
[Category("Fuzz")]
[NonParallelizable]
public sealed partial class AflFuzzTests
{
    private const int SecondsPerTarget = 4;

    [Test, CancelAfter(240_000)]
    public async Task EveryTargetRunsUnderAflWithoutACrash(CancellationToken cancellationToken)
    {
        var (exitCode, output) = await RunFuzzScriptAsync(["all", SecondsPerTarget.ToString(System.Globalization.CultureInfo.InvariantCulture), "--jobs", "2"], TimeSpan.FromSeconds(220), cancellationToken);
        TestContext.Out.WriteLine(output);
        var summaries = SummaryLine().Matches(output).ToDictionary(match => match.Groups["target"].Value, match => match);
        Assert.That(summaries.Keys, Is.EquivalentTo(FuzzParsers.All.Select(parser => parser.Name)), "a summary line for every target");
        foreach (var (target, summary) in summaries)
        {
            Assert.That(long.Parse(summary.Groups["execs"].Value), Is.GreaterThan(0), $"{target} ran inputs");
            Assert.That(int.Parse(summary.Groups["crashes"].Value), Is.Zero, $"{target} crashed: see fuzz/findings/{target}/\n{output}");
        }
        Assert.That(exitCode, Is.Zero, output);
    }

    [Test, CancelAfter(120_000)]
    public async Task ACrashIsFoundAndReported(CancellationToken cancellationToken)
    {
        await using var findings = new TempDirectory("p2pshare-fuzz-findings-");
        var (exitCode, output) = await RunFuzzScriptAsync(["self-test", "0.15"], TimeSpan.FromSeconds(100), cancellationToken, findings.Path);
        TestContext.Out.WriteLine(output);
        Assert.That(exitCode, Is.EqualTo(1), "scripts/fuzz exits 1 on a crash");
        var summary = SummaryLine().Match(output);
        Assert.That(summary.Success && int.Parse(summary.Groups["crashes"].Value) > 0, output);
        Assert.That(output, Does.Contain("self-test crash: the input starts with 'X'"), "the replay prints the crash's exception");
        Assert.That(Directory.GetFiles(Path.Combine(findings.Path, "self-test")), Is.Not.Empty, "the crashing input is kept for triage");
    }

    private static async Task<(int ExitCode, string Output)> RunFuzzScriptAsync(string[] arguments, TimeSpan timeout, CancellationToken cancellationToken, string? findings = null)
    {
        RequiredTool.Ensure("afl-fuzz");
        await using var findingsDirectory = findings is null ? new TempDirectory("p2pshare-fuzz-findings-") : null;
        var environment = new Dictionary<string, string?>
        {
            ["FUZZ_NO_BUILD"] = "1",
            ["FUZZ_FINDINGS"] = findings ?? findingsDirectory!.Path,
        };
        await using var process = ExternalProcess.Start(Path.Combine(SwarmScripts.RepositoryRoot, "scripts", "fuzz"), arguments, environment,
            workingDirectory: SwarmScripts.RepositoryRoot, name: "scripts/fuzz", tailLines: 400);
        var exitCode = await process.WaitForExitAsync(timeout, cancellationToken);
        return (exitCode, process.OutputTail);
    }

    // OutputTail prefixes each line with "out| " or "err| ".
    [GeneratedRegex(@"(?<target>[\w-]+): (?<seconds>\d+) s, executions (?<execs>\d+), paths (?<paths>\d+), edges (?<edges>\d+), crashes (?<crashes>\d+), hangs (?<hangs>\d+)$", RegexOptions.Multiline)]
    private static partial Regex SummaryLine();
}
