using P2PShare.Tests.Support;

namespace P2PShare.Tests.Cli;

/// <summary>
/// The README's first command, `scripts/run`, as a user meets it: it builds p2pshare with `scripts/build`
/// (a Native AOT publish into artifacts/p2pshare) and runs it. With no argument it runs the loopback demo:
/// one p2pshare process seeds, a second downloads, sha256sum compares.
/// </summary>
[TestFixture]
[NonParallelizable]
public sealed class RunScriptTests
{
    private static readonly TimeSpan BuildAndRunTimeout = TimeSpan.FromMinutes(10);

    private static string Script(string name) => Path.Combine(SwarmScripts.RepositoryRoot, "scripts", name);

    private static async Task<(int ExitCode, string Output, string Stdout)> RunAsync(string script, IEnumerable<string> arguments,
        IReadOnlyDictionary<string, string?>? environment = null)
    {
        await using var process = ExternalProcess.Start("bash", [Script(script), .. arguments], environment,
            workingDirectory: SwarmScripts.RepositoryRoot, name: script);
        var exitCode = await process.WaitForExitAsync(BuildAndRunTimeout);
        return (exitCode, process.OutputTail, process.StdoutTail);
    }

    [Test, Order(1)]
    public async Task DemoSeedsAndDownloadsBetweenTwoProcesses()
    {
        var (exitCode, output, _) = await RunAsync("run", [], new Dictionary<string, string?> { ["P2PSHARE_DEMO_MIB"] = "8" });

        Assert.That(exitCode, Is.Zero, output);
        Assert.That(output, Does.Contain("OK: 8 MiB downloaded from the local seeder and verified."));
    }

    [Test, Order(2)]
    public async Task BuildIsOneNativeAotExecutable()
    {
        var (exitCode, output, stdout) = await RunAsync("build", []);
        Assert.That(exitCode, Is.Zero, output);
        var executable = stdout.Trim().Split('\n')[^1].Trim();
        var directory = Path.Combine(SwarmScripts.RepositoryRoot, "artifacts", "p2pshare");
        Assert.That(executable, Is.EqualTo(Path.Combine(directory, "p2pshare")));

        // Ahead-of-time native code is what keeps a process's CPU on its transfer rather than on the JIT
        // (docs/perf.md); a silent fall-back to the ReadyToRun or JIT build must not go unnoticed.
        Assert.That(File.ReadAllText(Path.Combine(directory, ".built")).Trim(), Is.EqualTo("Native AOT"), output);
        Assert.That(File.Exists(Path.Combine(directory, "p2pshare.dll")), Is.False, "a managed p2pshare.dll next to the executable: not a Native AOT build");
        Assert.That(File.Exists(Path.Combine(directory, "P2PShare.Core.dll")), Is.False, "the library should be compiled into the executable");
        Assert.That(File.Exists(Path.Combine(directory, "wwwroot", "index.html")), Is.True, "the web UI's files ship beside the executable");

        await using var version = ExternalProcess.Start(executable, ["--version"], name: "p2pshare --version");
        Assert.That(await version.WaitForExitAsync(TimeSpan.FromSeconds(30)), Is.Zero, version.OutputTail);
        Assert.That(version.StdoutTail, Does.Match(@"^\d+\.\d+\.\d+"));
    }

    [Test, Order(3)]
    public async Task RunPassesArgumentsToP2PShare()
    {
        var (exitCode, output, _) = await RunAsync("run", ["info", Path.Combine("torrents", "bunny.torrent")]);

        Assert.That(exitCode, Is.Zero, output);
        Assert.That(output, Does.Contain("af8f10f30bf9aefecf3686922bfa0d5bd290a395"));
    }
}
