using System.Text.Json;
using P2PShare.Tests.Interop.Download;
using P2PShare.Tests.Support;

namespace P2PShare.Tests.Interop.Install;

/// <summary>
/// 'download --json' and '--on-complete' during real downloads from a libtorrent seeder, and the exit codes: 0 when
/// complete, 3 when stopped (SIGTERM) before complete.
/// </summary>
[TestFixture]
[Category("Interop")]
[CancelAfter(60_000)]
public sealed class DownloadScriptingTests
{
    private const int SizeBytes = 2 * 1024 * 1024;

    [Test]
    public async Task Json_lines_describe_the_download_and_the_hook_runs_once_with_the_torrent_in_its_environment(CancellationToken cancellationToken)
    {
        RequiredTool.EnsureLibtorrent();
        await using var temp = new TempDirectory("p2pshare-json-");
        var source = TestData.CreateFile(temp.Combine("seed", "scripted.bin"), SizeBytes, seed: 41);
        var torrent = await P2PShareClient.CreateTorrentAsync(source, temp.Combine("scripted.torrent"), pieceSizeKiB: 64, cancellationToken: cancellationToken);
        // Capped so the download spans a few progress ticks: at full speed it completes before the first "downloading" line.
        await using var seeder = await LibtorrentPeer.StartSeedAsync(torrent.TorrentPath, temp.Combine("seed"), o => o with { NoTrackers = true, UploadLimit = 1_000_000 }, cancellationToken);

        var output = temp.CreateSubdirectory("out");
        var hookFile = temp.Combine("hook.txt");
        var hook = $"echo \"$P2PSHARE_TORRENT_NAME|$P2PSHARE_INFO_HASH|$P2PSHARE_PATH|$P2PSHARE_TOTAL_BYTES\" >> '{hookFile}'; echo hook-ran";
        await using var downloader = P2PShareClient.StartDownload(temp.Path, torrent.TorrentPath, output,
            "--peer", $"127.0.0.1:{seeder.Port}", "--no-seed", "--json", "--on-complete", hook);
        await downloader.WaitForSuccessAsync(TimeSpan.FromSeconds(40), cancellationToken);

        DownloadCheck.SameContent(source, output, downloader);
        var stdout = downloader.Process.StdoutTail.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        Assert.That(stdout, Is.Not.Empty);
        Assert.That(stdout, Has.All.StartsWith("{"), "stdout carries JSON objects only (the hook's output goes to stderr)");
        var lines = stdout.Select(l => JsonDocument.Parse(l).RootElement).ToList();
        var events = lines.Select(l => l.GetProperty("event").GetString()).ToList();
        TestContext.Out.WriteLine($"{lines.Count} JSON lines: {string.Join(", ", events.Distinct())}");

        Assert.That(lines, Has.All.Matches<JsonElement>(l => l.TryGetProperty("time", out _)));
        Assert.That(events, Does.Contain("state").And.Contain("progress").And.Contain("complete"));
        Assert.That(events[^1], Is.EqualTo("exit"));
        Assert.That(lines[^1].GetProperty("exit_code").GetInt32(), Is.Zero);
        var states = lines.Where(l => l.GetProperty("event").GetString() == "state").Select(l => l.GetProperty("state").GetString()).ToList();
        Assert.That(states, Does.Contain("downloading").Or.Contain("endgame"));
        var lastProgress = lines.Last(l => l.GetProperty("event").GetString() == "progress");
        Assert.That(lastProgress.GetProperty("total_bytes").GetInt64(), Is.EqualTo(SizeBytes));
        foreach (var field in new[] { "progress", "download_rate", "upload_rate", "peers", "seeds", "eta_seconds", "verified_bytes" })
            Assert.That(lastProgress.TryGetProperty(field, out _), Is.True, field);

        var complete = lines.Single(l => l.GetProperty("event").GetString() == "complete");
        TestContext.Out.WriteLine(complete.ToString());
        Assert.That(complete.GetProperty("info_hash").GetString(), Is.EqualTo(torrent.InfoHash));
        Assert.That(complete.GetProperty("downloaded").GetInt64(), Is.GreaterThanOrEqualTo(SizeBytes));
        Assert.That(complete.GetProperty("bytes_by_source").GetProperty("given").GetInt64(), Is.EqualTo(SizeBytes), "all from the --peer seeder");
        Assert.That(complete.GetProperty("elapsed_seconds").GetDouble(), Is.GreaterThan(0));
        Assert.That(complete.GetProperty("ratio").GetDouble(), Is.GreaterThanOrEqualTo(0));

        var runs = await File.ReadAllLinesAsync(hookFile, cancellationToken);
        Assert.That(runs, Has.Length.EqualTo(1), "--on-complete runs once");
        Assert.That(runs[0], Is.EqualTo($"scripted.bin|{torrent.InfoHash}|{Path.Combine(output, "scripted.bin")}|{SizeBytes}"));
        Assert.That(downloader.Process.StderrTail, Does.Contain("hook-ran"));
    }

    [Test]
    public async Task Stopped_before_complete_exits_3_and_the_summary_is_printed_when_complete(CancellationToken cancellationToken)
    {
        RequiredTool.EnsureLibtorrent();
        await using var temp = new TempDirectory("p2pshare-exit3-");
        var source = TestData.CreateFile(temp.Combine("seed", "slow.bin"), SizeBytes, seed: 42);
        var torrent = await P2PShareClient.CreateTorrentAsync(source, temp.Combine("slow.torrent"), pieceSizeKiB: 64, cancellationToken: cancellationToken);
        // 256 KiB/s: 8 s for the whole file, so the stop comes well before the end.
        await using var seeder = await LibtorrentPeer.StartSeedAsync(torrent.TorrentPath, temp.Combine("seed"), o => o with { NoTrackers = true, UploadLimit = 256 * 1024 }, cancellationToken);

        var output = temp.CreateSubdirectory("out");
        await using var downloader = P2PShareClient.StartDownload(temp.Path, torrent.TorrentPath, output, "--peer", $"127.0.0.1:{seeder.Port}", "--json");
        await downloader.Process.WaitForJsonLineAsync(l => l.GetProperty("event").GetString() == "progress" && l.GetProperty("verified_bytes").GetInt64() > 0,
            TimeSpan.FromSeconds(20), "a progress line with verified data", cancellationToken);
        downloader.Process.Terminate();
        var exit = await downloader.WaitForExitAsync(TimeSpan.FromSeconds(20), cancellationToken);

        Assert.That(exit, Is.EqualTo(3), downloader.Describe());
        var last = downloader.Process.LastJsonLine()!.Value;
        Assert.That(last.GetProperty("event").GetString(), Is.EqualTo("exit"));
        Assert.That(last.GetProperty("exit_code").GetInt32(), Is.EqualTo(3));
        Assert.That(last.GetProperty("reason").GetString(), Is.EqualTo("interrupted before complete"));

        // The same download resumed without a seeder limit: complete, the human summary, exit 0 on SIGTERM while seeding.
        await using var fast = await LibtorrentPeer.StartSeedAsync(torrent.TorrentPath, temp.Combine("seed"), o => o with { NoTrackers = true }, cancellationToken);
        await using var again = P2PShareClient.StartDownload(temp.Path, torrent.TorrentPath, output, "--peer", $"127.0.0.1:{fast.Port}");
        await Eventually.UntilAsync(() => again.Process.StdoutTail.Contains("Summary:", StringComparison.Ordinal), TimeSpan.FromSeconds(30),
            "the completion summary", again.Describe, cancellationToken: cancellationToken);
        var summary = again.Process.StdoutTail.Split('\n').First(l => l.Contains("Summary:", StringComparison.Ordinal));
        TestContext.Out.WriteLine(summary.Trim());
        Assert.That(summary, Does.Contain("downloaded in").And.Contain("average").And.Contain("from given").And.Contain("ratio"));
        again.Process.Terminate();
        Assert.That(await again.WaitForExitAsync(TimeSpan.FromSeconds(20), cancellationToken), Is.Zero, "stopped while seeding: 0");
        DownloadCheck.SameContent(source, output, again);
    }
}
