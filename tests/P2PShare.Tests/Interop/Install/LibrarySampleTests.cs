using P2PShare.Tests.Interop.Download;
using P2PShare.Tests.Support;

namespace P2PShare.Tests.Interop.Install;

/// <summary>
/// The library as another program uses it: docs/sample (TorrentClient, progress and completion events) is built
/// against the library the tests use and downloads from a libtorrent seeder.
/// </summary>
[TestFixture]
[Category("Interop")]
[NonParallelizable]
[CancelAfter(240_000)]
public sealed class LibrarySampleTests
{
    private const int SizeBytes = 2 * 1024 * 1024;

    [Test]
    public async Task The_sample_program_downloads_from_a_libtorrent_seeder(CancellationToken cancellationToken)
    {
        RequiredTool.EnsureLibtorrent();
        var dotnet = RequiredTool.Ensure("dotnet");
        var configuration = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar)).Parent!.Name;
        var sample = Path.Combine(SwarmScripts.RepositoryRoot, "docs", "sample");
        var environment = new Dictionary<string, string?> { ["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1", ["DOTNET_NOLOGO"] = "1" };
        // --no-dependencies: the library is the one already built for the tests, not rebuilt under them.
        await using (var build = ExternalProcess.Start(dotnet, ["build", Path.Combine(sample, "P2PShareSample.csproj"), "-c", configuration, "--no-dependencies", "-nologo", "-v", "q"],
            environment, sample, name: "build sample"))
        {
            Assert.That(await build.WaitForExitAsync(TimeSpan.FromMinutes(3), cancellationToken), Is.Zero, build.Describe());
        }
        var dll = Path.Combine(sample, "bin", configuration, "net10.0", "P2PShareSample.dll");

        await using var temp = new TempDirectory("p2pshare-sample-");
        var source = TestData.CreateFile(temp.Combine("seed", "library.bin"), SizeBytes, seed: 43);
        var torrent = await P2PShareClient.CreateTorrentAsync(source, temp.Combine("library.torrent"), pieceSizeKiB: 64, cancellationToken: cancellationToken);
        await using var seeder = await LibtorrentPeer.StartSeedAsync(torrent.TorrentPath, temp.Combine("seed"), o => o with { NoTrackers = true }, cancellationToken);
        var output = temp.CreateSubdirectory("out");

        await using var program = ExternalProcess.Start(dotnet, [dll, torrent.TorrentPath, output, "--peer", $"127.0.0.1:{seeder.Port}", "--no-dht"], environment, temp.Path, name: "sample");
        var exit = await program.WaitForExitAsync(TimeSpan.FromSeconds(60), cancellationToken);
        TestContext.Out.WriteLine(string.Join(Environment.NewLine, program.StdoutTail.Split('\n').Where(l => l.StartsWith("complete", StringComparison.Ordinal) || l.StartsWith("done", StringComparison.Ordinal))));

        Assert.That(exit, Is.Zero, program.Describe());
        Assert.That(program.StdoutTail, Does.Contain($"complete library.bin {torrent.InfoHash} "), "the Completed event");
        Assert.That(program.StdoutTail, Does.Contain("progress "), "the ProgressChanged event");
        Assert.That(program.StdoutTail, Does.Contain("done library.bin"));
        Assert.That(TestData.Sha256File(Path.Combine(output, "library.bin")), Is.EqualTo(TestData.Sha256File(source)));
    }
}
