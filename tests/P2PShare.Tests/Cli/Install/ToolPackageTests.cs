using System.IO.Compression;
using System.Xml.Linq;
using P2PShare.Tests.Support;

namespace P2PShare.Tests.Cli.Install;

/// <summary>
/// p2pshare as a .NET tool: the package is packed from the build the tests use, installed from that local package
/// only (its own NuGet config and package cache, nothing from the network) into a fresh --tool-path, and run.
/// </summary>
[TestFixture]
[NonParallelizable]
[CancelAfter(240_000)]
public sealed class ToolPackageTests
{
    private static readonly TimeSpan StepTimeout = TimeSpan.FromMinutes(3);

    [Test]
    public async Task The_tool_package_installs_into_a_fresh_tool_path_and_runs(CancellationToken cancellationToken)
    {
        var dotnet = RequiredTool.Ensure("dotnet");
        await using var temp = new TempDirectory("p2pshare-tool-");
        var configuration = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar)).Parent!.Name;
        var project = Path.Combine(SwarmScripts.RepositoryRoot, "src", "P2PShare.Cli", "P2PShare.Cli.csproj");
        var packages = temp.CreateSubdirectory("packages");
        var environment = new Dictionary<string, string?>
        {
            ["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1",
            ["DOTNET_NOLOGO"] = "1",
            ["NUGET_PACKAGES"] = temp.CreateSubdirectory("nuget-cache"),
        };

        await RunAsync(dotnet, ["pack", project, "-c", configuration, "--no-build", "-o", packages, "-nologo"], environment, cancellationToken);
        var package = Directory.GetFiles(packages, "P2PShare.Cli.*.nupkg").Single();
        TestContext.Out.WriteLine($"{Path.GetFileName(package)}: {new FileInfo(package).Length / 1024} KiB");
        using (var zip = ZipFile.OpenRead(package))
        {
            var nuspec = XDocument.Load(zip.Entries.Single(e => e.FullName.EndsWith(".nuspec", StringComparison.Ordinal)).Open());
            var ns = nuspec.Root!.GetDefaultNamespace();
            var metadata = nuspec.Root.Element(ns + "metadata")!;
            Assert.That(metadata.Element(ns + "description")!.Value, Does.Contain("BitTorrent").And.Not.EqualTo("Package Description"));
            Assert.That(metadata.Element(ns + "packageTypes")?.ToString(), Does.Contain("DotnetTool"));
            Assert.That(zip.Entries.Select(e => e.FullName), Has.Some.EndsWith("DotnetToolSettings.xml"));
            Assert.That(zip.Entries.Select(e => e.Name), Has.None.StartsWith("Spectre"), "no dependency that nothing uses");
        }

        var config = temp.Combine("nuget.config");
        await File.WriteAllTextAsync(config, $"""
            <?xml version="1.0" encoding="utf-8"?>
            <configuration>
              <packageSources>
                <clear />
                <add key="local" value="{packages}" />
              </packageSources>
            </configuration>
            """, cancellationToken);
        var tools = temp.Combine("tools");
        var version = Path.GetFileNameWithoutExtension(package)["P2PShare.Cli.".Length..];
        await RunAsync(dotnet, ["tool", "install", "P2PShare.Cli", "--tool-path", tools, "--configfile", config, "--version", version], environment, cancellationToken);

        var installed = Path.Combine(tools, OperatingSystem.IsWindows() ? "p2pshare.exe" : "p2pshare");
        Assert.That(File.Exists(installed), Is.True, "the command is named p2pshare");
        var output = await RunAsync(installed, ["--version"], environment, cancellationToken);
        TestContext.Out.WriteLine($"p2pshare --version: {output.Trim()}");
        Assert.That(output.Trim(), Does.StartWith(version));
    }

    private static async Task<string> RunAsync(string program, IEnumerable<string> arguments, IReadOnlyDictionary<string, string?> environment, CancellationToken cancellationToken)
    {
        await using var process = ExternalProcess.Start(program, arguments, environment, name: Path.GetFileName(program));
        var exit = await process.WaitForExitAsync(StepTimeout, cancellationToken);
        Assert.That(exit, Is.Zero, process.Describe());
        return process.StdoutTail;
    }
}
