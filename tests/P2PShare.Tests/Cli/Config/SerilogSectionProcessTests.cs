using P2PShare.Tests.Support;

namespace P2PShare.Tests.Cli.Config;

/// <summary>
/// The settings file's "Serilog" section in the program users run (scripts/test runs the Native AOT build here), where
/// Serilog.Settings.Configuration finds sinks by reflection over the assemblies LogSettings names: an extra WriteTo
/// sink, a minimum level and an override must all take effect, not be dropped silently.
/// </summary>
[TestFixture]
public sealed class SerilogSectionProcessTests
{
    [Test, CancelAfter(60_000)]
    public async Task An_extra_file_sink_and_level_overrides_from_settings_take_effect(CancellationToken cancellationToken)
    {
        await using var temp = new TempDirectory("p2pshare-serilogsection-");
        var data = temp.Combine("data.bin");
        await File.WriteAllBytesAsync(data, new byte[64 * 1024], cancellationToken);
        var extra = temp.Combine("extra-sink.log");
        var settings = temp.Combine("xdg-config", "p2pshare", "settings.json");
        Directory.CreateDirectory(Path.GetDirectoryName(settings)!);
        await File.WriteAllTextAsync(settings, $$"""
            {
              "Serilog": {
                "MinimumLevel": { "Default": "Warning", "Override": { "P2PShare.Cli.Create": "Information" } },
                "WriteTo": [ { "Name": "File", "Args": { "path": "{{extra}}", "outputTemplate": "EXTRA {Level:u3} {SourceContext} {Message:lj}{NewLine}" } } ]
              }
            }
            """, cancellationToken);

        await using var run = P2PShareClient.Start(temp.Path, "create", ["create", data, "-o", temp.Combine("data.torrent"), "--no-date"]);
        Assert.That(await run.Process.WaitForExitAsync(TimeSpan.FromSeconds(45)), Is.Zero, run.Process.OutputTail);

        Assert.That(File.Exists(extra), Is.True, $"the settings' extra File sink was not written ({P2PShareClient.CliPath})");
        var lines = await File.ReadAllLinesAsync(extra, cancellationToken);
        TestContext.Out.WriteLine($"{P2PShareClient.CliPath}: {lines.Length} lines in the extra sink");
        foreach (var line in lines.Take(10))
            TestContext.Out.WriteLine(line);
        Assert.That(lines, Is.Not.Empty.And.All.StartWith("EXTRA "), "the sink's own outputTemplate");
        // The default level is Warning: 'create' logs at Information only, so its lines show only if the override works.
        Assert.That(lines.Any(line => line.Contains("INF P2PShare.Cli.Create Creating torrent", StringComparison.Ordinal)), Is.True,
            "the override lowering P2PShare.Cli.Create to Information");
    }
}
