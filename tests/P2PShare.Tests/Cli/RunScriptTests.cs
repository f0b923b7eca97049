using System.Reflection.PortableExecutable;
using P2PShare.Tests.Support;

namespace P2PShare.Tests.Cli;

/// <summary>
/// The README's first command, `scripts/run`, as a user meets it: it builds p2pshare with `scripts/build`
/// (a ReadyToRun publish into artifacts/p2pshare) and runs it. With no argument it runs the loopback demo:
/// one p2pshare process seeds, a second downloads, sha256sum compares.
/// </summary>
[TestFixture]
[NonParallelizable]
public sealed class RunScriptTests
{
    private static readonly TimeSpan BuildAndRunTimeout = TimeSpan.FromMinutes(5);

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
    public async Task BuildIsReadyToRunCompiled()
    {
        var (exitCode, output, stdout) = await RunAsync("build", []);
        Assert.That(exitCode, Is.Zero, output);
        var dll = stdout.Trim().Split('\n')[^1].Trim();
        Assert.That(dll, Is.EqualTo(Path.Combine(SwarmScripts.RepositoryRoot, "artifacts", "p2pshare", "p2pshare.dll")));

        // Precompiled native code is what keeps start-up (and so a 1 GiB create) fast; a silent fall-back to
        // the JIT-only build must not go unnoticed.
        foreach (var assembly in new[] { "p2pshare.dll", "P2PShare.Core.dll" })
        {
            using var pe = new PEReader(File.OpenRead(Path.Combine(Path.GetDirectoryName(dll)!, assembly)));
            Assert.That(pe.PEHeaders.CorHeader!.ManagedNativeHeaderDirectory.Size, Is.GreaterThan(0), $"{assembly} has no ReadyToRun code");
        }
    }

    [Test, Order(3)]
    public async Task RunPassesArgumentsToP2PShare()
    {
        var (exitCode, output, _) = await RunAsync("run", ["info", Path.Combine("torrents", "bunny.torrent")]);

        Assert.That(exitCode, Is.Zero, output);
        Assert.That(output, Does.Contain("af8f10f30bf9aefecf3686922bfa0d5bd290a395"));
    }
}
