using System.Globalization;
using System.Text.RegularExpressions;
using P2PShare.Tests.Interop.Seeding;
using P2PShare.Tests.Support;

namespace P2PShare.Tests.Hybrid;

/// <summary>The hybrid node dials native peers (--native-peer): a torrent downloaded from the reference native node alone.</summary>
public sealed partial class HybridInteropTests
{
    [Test]
    public async Task Downloads_a_torrent_from_a_dialled_reference_native_seeder_with_no_bittorrent_peer_at_all(CancellationToken cancellationToken)
    {
        RequiredTool.EnsureLibtorrent();
        await using var scenario = await SeedScenario.CreateAsync("hybrid-dial", 2 * 1024 * 1024 + 4321, seed: 2203, pieceSizeKiB: 128, cancellationToken: cancellationToken);
        await using var reference = ExternalProcess.Start(RequiredTool.EnsureLibtorrent(), [ReferenceNodeScript, "--port", "0", "--file", scenario.Source],
            name: "native reference seeder", tailLines: 2000);
        var referencePort = 0;
        await Eventually.UntilAsync(() =>
        {
            var match = ReferenceListeningPattern().Match(reference.StdoutTail);
            if (match.Success)
                referencePort = int.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture);
            return match.Success;
        }, Deadline, "the reference node to listen", reference.Describe, cancellationToken: cancellationToken);

        var clock = System.Diagnostics.Stopwatch.StartNew();
        var output = scenario.Temp.CreateSubdirectory("out");
        // No --peer, no tracker, no DHT: the only source is the native node we dial.
        await using var downloader = P2PShareClient.StartDownload(scenario.Temp.Path, scenario.Torrent.TorrentPath, output,
            "--native-port", "0", "--native-peer", $"127.0.0.1:{referencePort}", "--no-seed", "--no-dht", "--give-up-after", "30");
        var exit = await downloader.WaitForExitAsync(Deadline, cancellationToken);
        var seconds = clock.Elapsed.TotalSeconds;

        Assert.That(exit, Is.Zero, () => downloader.Describe() + reference.Describe());
        scenario.AssertSameContent(output, "our downloader", downloader.Describe);
        var summary = SummaryPattern().Match(downloader.Process.OutputTail);
        Assert.That(summary.Success, Is.True, () => "no completion summary: " + downloader.Describe());
        var sources = summary.Groups[1].Value;
        Assert.That(sources, Does.Contain("native"), "every byte came from the native node");
        Assert.That(sources, Does.Not.Match("incoming|given|tracker|dht"), "there was no BitTorrent peer");
        var nativePieces = (int)((scenario.Size + 65535) / 65536);
        var served = Regex.Matches(reference.StdoutTail, @"^served \d+", RegexOptions.Multiline).Count;
        Assert.That(served, Is.GreaterThanOrEqualTo(nativePieces), "the reference node served every native piece");
        TestContext.Out.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{scenario.Size} bytes ({nativePieces} native pieces, 128 KiB torrent pieces) from the dialled reference node in {seconds:0.00} s; it served {served} pieces; summary: from {sources}"));
    }

    [GeneratedRegex(@"listening on (\d+)")]
    private static partial Regex ReferenceListeningPattern();
}
