using System.Globalization;
using System.Security.Cryptography;
using System.Text.RegularExpressions;
using P2PShare.Tests.Interop.Seeding;
using P2PShare.Tests.Native;
using P2PShare.Tests.Support;

namespace P2PShare.Tests.Hybrid;

/// <summary>
/// One P2PShare process in both networks (issue #22, docs/hybrid-node.md): a torrent served at once to libtorrent and to
/// the independent native reference node (tests/native-reference-node), and downloaded from both kinds of seeder, with a
/// corrupting native peer banned on the way.
/// </summary>
[TestFixture]
[Category("Interop")]
[CancelAfter(60_000)]
public sealed partial class HybridInteropTests
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(30);

    [Test]
    public async Task One_process_seeds_a_file_to_a_libtorrent_leecher_and_a_reference_native_leecher_at_once(CancellationToken cancellationToken)
    {
        RequiredTool.EnsureLibtorrent();
        await using var scenario = await SeedScenario.CreateAsync("hybrid-seed", 3 * 1024 * 1024 + 12345, seed: 2201, pieceSizeKiB: 256, cancellationToken: cancellationToken);
        var (seeder, port) = await scenario.StartSeederAsync(cancellationToken, "--native-port", "0");
        await using var _seeder = seeder;
        var nativePort = await WaitForNativePortAsync(seeder, cancellationToken);
        var clock = System.Diagnostics.Stopwatch.StartNew();

        var ltDirectory = scenario.Temp.CreateSubdirectory("lt");
        await using var lt = await LibtorrentPeer.StartAsync(new LibtorrentPeerOptions(scenario.Torrent.TorrentPath, ltDirectory)
        {
            NoTrackers = true,
            ConnectTo = [SeedScenario.Loopback(port)],
        }, cancellationToken);
        var nativeCopy = scenario.Temp.Combine("native", Path.GetFileName(scenario.Source));
        Directory.CreateDirectory(Path.GetDirectoryName(nativeCopy)!);
        await using var reference = StartReferenceNode(nativeCopy, nativePort);

        var expected = Convert.ToHexStringLower(SHA1.HashData(File.ReadAllBytes(scenario.Source)));
        var referenceDone = Eventually.UntilAsync(() => reference.StdoutTail.Contains("complete " + expected), Deadline,
            "the reference native node to complete its download from our seeder", () => reference.Describe() + seeder.Describe(), cancellationToken: cancellationToken);
        await lt.WaitUntilCompleteAsync(Deadline, cancellationToken);
        var ltSeconds = clock.Elapsed.TotalSeconds;
        await referenceDone;
        var nativeSeconds = clock.Elapsed.TotalSeconds;

        scenario.AssertSameContent(ltDirectory, "libtorrent", seeder.Describe);
        Assert.That(TestData.Sha256File(nativeCopy), Is.EqualTo(TestData.Sha256File(scenario.Source)), "the native reference node's copy differs");
        var served = Regex.Matches(reference.StdoutTail, @"^served \d+", RegexOptions.Multiline).Count;
        Assert.That(served, Is.Zero, "the reference node was a leecher only: it served nothing, so all its data came from our process");
        TestContext.Out.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{scenario.Size} bytes: libtorrent complete after {ltSeconds:0.00} s, native reference node after {nativeSeconds:0.00} s (one seeder process, BT port {port}, native port {nativePort})"));
    }

    [Test]
    public async Task Downloads_from_a_libtorrent_seeder_and_a_reference_native_seeder_and_bans_a_corrupting_native_peer(CancellationToken cancellationToken)
    {
        RequiredTool.EnsureLibtorrent();
        await using var scenario = await SeedScenario.CreateAsync("hybrid-download", 4 * 1024 * 1024 + 777, seed: 2202, pieceSizeKiB: 128, cancellationToken: cancellationToken);
        var output = scenario.Temp.CreateSubdirectory("out");
        await using var downloader = P2PShareClient.StartDownload(scenario.Temp.Path, scenario.Torrent.TorrentPath, output, "--native-port", "0", "--no-seed");
        var port = await downloader.WaitUntilListeningAsync(Deadline, cancellationToken);
        var nativePort = await WaitForNativePortAsync(downloader, cancellationToken);

        // First a native peer that claims every piece and serves garbage: the first piece it fills fails the torrent's hash.
        var liar = await FakeNativePeer.ConnectAsync(nativePort);
        await using var _liar = liar;
        const string liarId = "ffffffffffff0001";
        await liar.SendAsync(FakeNativePeer.Handshake(liarId, "x.bin", scenario.Size, hash: null, port: 1));
        Assert.That(await liar.ReadTypeAsync("handshake"), Is.Not.Null, "our node must answer the corrupting peer's handshake");
        var nativePieces = (int)((scenario.Size + 65535) / 65536);
        await liar.SendAsync($"{{\"type\":\"bitfield\",\"pieces\":[{string.Join(',', Enumerable.Range(0, nativePieces))}]}}");
        var garbage = new Random(7);
        var liesTold = 0;
        var closed = false;
        var liarClock = System.Diagnostics.Stopwatch.StartNew();
        try
        {
            // Without a ban our node would ask it again and again: the loop is bounded in time, not only by the close.
            while (liarClock.Elapsed < TimeSpan.FromSeconds(10))
            {
                if (await liar.ReadAsync(TimeSpan.FromSeconds(10)) is not { } message)
                {
                    closed = true;
                    break;
                }
                if ((string?)message["type"] != "request")
                    continue;
                var index = (int)message["index"]!;
                var data = new byte[(int)Math.Min(65536, scenario.Size - index * 65536L)];
                garbage.NextBytes(data);
                await liar.SendAsync(FakeNativePeer.Piece(index, data));
                liesTold++;
            }
        }
        catch (IOException)
        {
            closed = true;
        }
        catch (TimeoutException)
        {
            closed = false;
        }
        Assert.That(closed, Is.True, () => $"the corrupting native peer must be disconnected (it sent {liesTold} bad pieces in {liarClock.Elapsed.TotalSeconds:0.0} s)");
        TestContext.Out.WriteLine(string.Create(CultureInfo.InvariantCulture, $"corrupting native peer disconnected after {liarClock.Elapsed.TotalSeconds:0.00} s"));
        Assert.That(liesTold, Is.GreaterThan(0), "the corrupting peer was asked for pieces");
        await Eventually.UntilAsync(() => downloader.ReadLog().Split('\n').Any(line => line.Contains(liarId) && line.Contains("banned")), Deadline,
            "the corrupting native peer to be banned", downloader.Describe, cancellationToken: cancellationToken);
        // Banned: coming back under the same id is refused.
        await using (var again = await FakeNativePeer.ConnectAsync(nativePort))
        {
            await again.SendAsync(FakeNativePeer.Handshake(liarId, "x.bin", scenario.Size, hash: null, port: 1));
            await again.ReadTypeAsync("handshake");
            Assert.That(await again.WasClosedAsync(), Is.True, "a banned native peer must be refused when it comes back");
        }

        // Then the honest sources: a throttled libtorrent seeder dials our BT port, the reference native seeder our native port.
        await using var lt = await LibtorrentPeer.StartSeedAsync(scenario.Torrent.TorrentPath, scenario.SeedDirectory,
            o => o with { NoTrackers = true, UploadLimit = 400_000, ConnectTo = [SeedScenario.Loopback(port)] }, cancellationToken);
        // libtorrent takes longer to start than the reference node: give it a head start of a few pieces.
        await lt.WaitUntilUploadedAsync(256 * 1024, Deadline, cancellationToken);
        await using var reference = StartReferenceNode(scenario.Source, nativePort);

        var exit = await downloader.WaitForExitAsync(Deadline, cancellationToken);
        Assert.That(exit, Is.Zero, downloader.Describe);
        scenario.AssertSameContent(output, "our downloader", downloader.Describe);
        var summary = SummaryPattern().Match(downloader.Process.OutputTail);
        Assert.That(summary.Success, Is.True, () => "no completion summary: " + downloader.Describe());
        var sources = summary.Groups[1].Value;
        TestContext.Out.WriteLine($"{scenario.Size} bytes; corrupting peer sent {liesTold} bad pieces and was banned; summary: from {sources}");
        Assert.That(sources, Does.Contain("native"), "the native reference seeder must deliver a share");
        Assert.That(sources, Does.Match("incoming|given"), "the libtorrent seeder must deliver a share");
        Assert.That(Regex.Matches(reference.StdoutTail, @"^served \d+", RegexOptions.Multiline).Count, Is.GreaterThan(0), "the reference node served pieces");
        Assert.That(lt.LatestStatus?.TotalPayloadUpload ?? 0, Is.GreaterThan(0), "libtorrent uploaded to us");
    }

    /// <summary>Where the run's native listener accepts (its log line; the port is chosen by the OS with --native-port 0).</summary>
    private static async Task<int> WaitForNativePortAsync(P2PShareClient client, CancellationToken cancellationToken)
    {
        var port = 0;
        await Eventually.UntilAsync(() =>
        {
            var match = NativePortPattern().Match(client.ReadLog());
            if (match.Success)
                port = int.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture);
            return match.Success;
        }, Deadline, "the native listener's port in the log", client.Describe, cancellationToken: cancellationToken);
        return port;
    }

    /// <summary>The reference node (a seeder when <paramref name="file"/> exists), dialling our native port.</summary>
    private static ExternalProcess StartReferenceNode(string file, int peerPort) =>
        ExternalProcess.Start(RequiredTool.EnsureLibtorrent(), [ReferenceNodeScript, "--port", "0", "--file", file, "--peer", $"127.0.0.1:{peerPort}"],
            name: "native reference node", tailLines: 2000);

    private static string ReferenceNodeScript
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

    [GeneratedRegex(@"Native protocol node [0-9a-f]+ accepting on port (\d+)")]
    private static partial Regex NativePortPattern();

    [GeneratedRegex(@"Summary: .*?; from (.*?); uploaded")]
    private static partial Regex SummaryPattern();
}
