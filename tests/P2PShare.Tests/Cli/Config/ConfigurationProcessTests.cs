using System.Text.Json;
using P2PShare.Cli;
using P2PShare.Tests.Support;

namespace P2PShare.Tests.Cli.Config;

/// <summary>
/// The configuration as a user meets it, in separate processes: settings.json found through XDG_CONFIG_HOME, real
/// P2PSHARE__ environment variables, and a download and a seed that log compact JSON, each into a file of its own.
/// </summary>
[TestFixture]
public sealed class ConfigurationProcessTests
{
    [Test, CancelAfter(60_000)]
    public async Task The_config_directory_and_real_environment_variables_are_read(CancellationToken ct)
    {
        await using var work = new TempDirectory("p2pshare-configproc-");
        var settings = work.Combine("xdg-config", "p2pshare", "settings.json");
        Directory.CreateDirectory(Path.GetDirectoryName(settings)!);
        await File.WriteAllTextAsync(settings, """{ "MaxUploadRate": "fast" }""", ct);

        await using (var fromFile = P2PShareClient.Start(work.Path, "badfile", ["download", work.Combine("none.torrent")]))
        {
            Assert.That(await fromFile.WaitForExitAsync(TimeSpan.FromSeconds(30), ct), Is.EqualTo(ExitCodes.BadInput), fromFile.Describe());
            var line = fromFile.Process.StderrTail.Trim();
            TestContext.Out.WriteLine(line);
            Assert.That(line, Does.Contain($"setting MaxUploadRate = 'fast' ({settings})").And.Not.Contain("\n"));
        }

        await File.WriteAllTextAsync(settings, """{ "MaxUploadRate": "1M" }""", ct);
        var environment = new Dictionary<string, string?> { ["P2PSHARE__MaxUploadRate"] = "slow" };
        await using (var fromEnvironment = P2PShareClient.Start(work.Path, "badenv", ["download", work.Combine("none.torrent")], environment))
        {
            Assert.That(await fromEnvironment.WaitForExitAsync(TimeSpan.FromSeconds(30), ct), Is.EqualTo(ExitCodes.BadInput), fromEnvironment.Describe());
            var line = fromEnvironment.Process.StderrTail.Trim();
            TestContext.Out.WriteLine(line);
            Assert.That(line, Does.Contain("setting MaxUploadRate = 'slow' (environment variable P2PSHARE__MaxUploadRate)"), "the environment beats the file");
        }
    }

    [Test, CancelAfter(60_000)]
    public async Task A_settings_file_that_is_not_json_stops_commands_but_not_help_or_version(CancellationToken ct)
    {
        await using var work = new TempDirectory("p2pshare-brokenconfig-");
        var settings = work.Combine("xdg-config", "p2pshare", "settings.json");
        Directory.CreateDirectory(Path.GetDirectoryName(settings)!);
        await File.WriteAllTextAsync(settings, "{ \"MaxUploadRate\": ", ct);

        foreach (var (args, name) in new[] { (new[] { "--help" }, "help"), (["--version"], "version"), (["download", "--help"], "download-help") })
        {
            await using var informational = P2PShareClient.Start(work.Path, name, args);
            Assert.That(await informational.WaitForExitAsync(TimeSpan.FromSeconds(30), ct), Is.EqualTo(ExitCodes.Ok), $"{name}: {informational.Describe()}");
        }
        await using var download = P2PShareClient.Start(work.Path, "broken", ["download", work.Combine("none.torrent")]);
        Assert.That(await download.WaitForExitAsync(TimeSpan.FromSeconds(30), ct), Is.EqualTo(ExitCodes.BadInput), download.Describe());
        var line = download.Process.StderrTail.Trim();
        TestContext.Out.WriteLine(line);
        Assert.That(line, Does.Contain($"{settings}: not valid settings JSON").And.Not.Contain("\n"));
    }

    [Test, CancelAfter(90_000)]
    public async Task A_download_and_a_seed_log_json_lines_each_into_its_own_file(CancellationToken ct)
    {
        await using var work = new TempDirectory("p2pshare-jsonlog-");
        var data = TestData.CreateFile(work.Combine("seed", "data.bin"), 1 << 20, seed: 24);
        var torrent = await P2PShareClient.CreateTorrentAsync(data, work.Combine("data.torrent"), pieceSizeKiB: 64, workDirectory: work.Path, cancellationToken: ct);
        var settings = work.Combine("xdg-config", "p2pshare", "settings.json");
        Directory.CreateDirectory(Path.GetDirectoryName(settings)!);
        await File.WriteAllTextAsync(settings, """{ "LogFormat": "json", "Bind": "127.0.0.1", "Port": 0, "NoDht": true }""", ct);

        await using var seeder = P2PShareClient.Start(work.Path, "seed", ["seed", torrent.TorrentPath, "--data", work.Combine("seed")], defaultLogFile: true);
        var port = await seeder.WaitUntilListeningAsync(TimeSpan.FromSeconds(30), ct);
        var clock = System.Diagnostics.Stopwatch.StartNew();
        await using var leecher = P2PShareClient.Start(work.Path, "download",
            ["download", torrent.TorrentPath, "-o", work.CreateSubdirectory("out"), "--peer", $"127.0.0.1:{port}", "--no-seed"], defaultLogFile: true);
        await leecher.WaitForSuccessAsync(TimeSpan.FromSeconds(60), ct);
        TestContext.Out.WriteLine($"1 MiB download with JSON logs: {clock.Elapsed.TotalSeconds:F1} s");
        Assert.That(TestData.Sha256File(work.Combine("out", "data.bin")), Is.EqualTo(TestData.Sha256File(data)));

        var logs = Directory.GetFiles(work.Combine("xdg-state", "p2pshare", "logs")).Order(StringComparer.Ordinal).ToArray();
        Assert.That(logs.Select(Path.GetFileName), Is.EquivalentTo(new[] { $"p2pshare-{seeder.Pid}.log", $"p2pshare-{leecher.Pid}.log" }), "one file per process, named with its pid");
        foreach (var (client, name) in new[] { (seeder, "seed"), (leecher, "download") })
        {
            var lines = client.ReadLog().Split('\n', StringSplitOptions.RemoveEmptyEntries);
            var events = lines.Select(line => JsonDocument.Parse(line).RootElement.Clone()).ToList();
            TestContext.Out.WriteLine($"{name} (pid {client.Pid}): {lines.Length} JSON log lines in {Path.GetFileName(client.LogFile)}");
            Assert.That(events.Select(e => e.GetProperty("ProcessId").GetInt32()), Has.All.EqualTo(client.Pid), $"{name}: every line is this process's");
            Assert.That(events.Select(e => e.GetProperty("@t").GetString()), Has.All.Not.Null, name);
            Assert.That(events.Select(e => e.TryGetProperty("@m", out var m) ? m.GetString() : null), Has.Some.Contain("listening on port"), name);
        }
    }
}
