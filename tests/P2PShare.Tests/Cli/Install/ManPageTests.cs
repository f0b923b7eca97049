using P2PShare.Tests.Support;

namespace P2PShare.Tests.Cli.Install;

/// <summary>scripts/man makes the man page from the program's own help: every command, every option, the exit codes.</summary>
[TestFixture]
[CancelAfter(120_000)]
public sealed class ManPageTests
{
    [Test]
    public async Task The_man_page_is_generated_from_the_help(CancellationToken cancellationToken)
    {
        var dotnet = RequiredTool.Ensure("dotnet");
        await using var man = ExternalProcess.Start("bash", [Path.Combine(SwarmScripts.RepositoryRoot, "scripts", "man"), dotnet, P2PShareClient.DllPath],
            new Dictionary<string, string?> { ["DOTNET_NOLOGO"] = "1" }, name: "scripts/man", tailLines: 2000);
        Assert.That(await man.WaitForExitAsync(TimeSpan.FromSeconds(90), cancellationToken), Is.Zero, man.Describe());

        var page = man.StdoutTail;
        TestContext.Out.WriteLine($"man page: {page.Split('\n').Length} lines");
        Assert.That(page, Does.StartWith(".TH P2PSHARE 1"));
        foreach (var command in new[] { "info", "create", "download", "seed", "verify", "announce" })
            Assert.That(page, Does.Contain($".SS {command}\n"), command);
        Assert.That(page, Does.Contain("--on-complete").And.Contain("--json").And.Contain("--max-download-rate <SIZE>"));
        Assert.That(page, Does.Contain("interrupted").Or.Contain("before the download was complete"));
    }
}
