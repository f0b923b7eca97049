using static P2PShare.Tests.Native.NativeTestSupport;
using P2PShare.Tests.Support;

namespace P2PShare.Tests.Native;

/// <summary>Our node against tests/native-reference-node, an independent implementation of the protocol.</summary>
[Category("Interop")]
public class NativeInteropTests
{
    private const string Python = "/usr/bin/python3";
    private string _directory = null!;

    [SetUp]
    public void SetUp()
    {
        if (!File.Exists(Python))
        {
            var reason = $"{Python} is needed to run the reference node";
            if (Environment.GetEnvironmentVariable("CI") == "true")
                Assert.Fail(reason);
            Assert.Ignore(reason);
        }
        _directory = NewTempDirectory();
    }

    [TearDown]
    public void TearDown()
    {
        if (_directory is not null)
            DeleteDirectory(_directory);
    }

    private static string ReferenceNode
    {
        get
        {
            for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
            {
                var candidate = Path.Combine(directory.FullName, "tests", "native-reference-node", "reference_node.py");
                if (File.Exists(candidate))
                    return candidate;
            }
            Assert.Fail("tests/native-reference-node/reference_node.py not found above the test assembly");
            return "";
        }
    }

    [Test]
    public async Task Our_node_downloads_from_the_reference_node_and_then_seeds_to_another_one()
    {
        var source = Path.Combine(_directory, "source.bin");
        var data = WriteRandomFile(source, 20 * 65536 + 321, seed: 21);
        var ours = Path.Combine(_directory, "ours.bin");
        var theirs = Path.Combine(_directory, "theirs.bin");

        using (var referenceSeeder = NativeProcess.Start(Python, ReferenceNode, "--port", "0", "--file", source))
        {
            var seederPort = await referenceSeeder.WaitForPortAsync();
            using var leecher = NativeProcess.StartP2PShare(Path.Combine(_directory, "ours.log"),
                "native", "--port", "0", "--file", ours, "--peer", $"127.0.0.1:{seederPort}");
            await WaitUntilAsync(() => leecher.Output.Contains("download complete"), "our download from the reference node");
            Assert.That(referenceSeeder.Output, Does.Contain("served 0"));
            leecher.KillHard();
        }
        Assert.That(File.ReadAllBytes(ours), SameBytes.As(data));

        // The reference seeder is gone: the reference leecher can only get the file from our node.
        using var seeder = NativeProcess.StartP2PShare(Path.Combine(_directory, "seed.log"), "native", "--port", "0", "--file", ours);
        var ourPort = await seeder.WaitForPortAsync();
        using var referenceLeecher = NativeProcess.Start(Python, ReferenceNode, "--port", "0", "--file", theirs, "--peer", $"127.0.0.1:{ourPort}");
        await WaitUntilAsync(() => referenceLeecher.Output.Contains("complete " + Sha1Hex(data)), "the reference node's download from ours");
        Assert.That(File.ReadAllBytes(theirs), SameBytes.As(data));
    }

    [Test]
    public async Task Mixed_swarm_peer_exchange_with_ipv4_mapped_hosts()
    {
        // Reference seeder, then our leecher, then a reference leecher that only knows the seeder:
        // the seeder announces them to each other as ::ffff:127.0.0.1 and the greater id dials.
        var source = Path.Combine(_directory, "source.bin");
        var data = WriteRandomFile(source, 12 * 65536, seed: 22);
        var ours = Path.Combine(_directory, "ours.bin");
        var theirs = Path.Combine(_directory, "theirs.bin");
        using var referenceSeeder = NativeProcess.Start(Python, ReferenceNode, "--port", "0", "--file", source);
        var seederPort = await referenceSeeder.WaitForPortAsync();
        using var leecher = NativeProcess.StartP2PShare(Path.Combine(_directory, "ours.log"),
            "native", "--port", "0", "--file", ours, "--peer", $"127.0.0.1:{seederPort}", "--verbose");
        await WaitUntilAsync(() => leecher.Output.Contains("download complete"), "our download");
        using var referenceLeecher = NativeProcess.Start(Python, ReferenceNode, "--port", "0", "--file", theirs, "--peer", $"127.0.0.1:{seederPort}");
        await WaitUntilAsync(() => referenceLeecher.Output.Contains("complete"), "the reference leecher's download");
        await WaitUntilAsync(() => leecher.Output.Contains("Connected to peer") && CountConnections(leecher.Output) >= 2, "our node to meet the reference leecher by exchange");
        Assert.That(File.ReadAllBytes(ours), SameBytes.As(data));
        Assert.That(File.ReadAllBytes(theirs), SameBytes.As(data));
    }

    private static int CountConnections(string output) =>
        output.Split('\n').Count(line => line.Contains("Connected to peer"));
}
