using System.Text.Json;
using Microsoft.Extensions.Configuration;
using P2PShare.Cli;
using P2PShare.Tests.Support;

namespace P2PShare.Tests.Cli.Config;

/// <summary>The log a process writes: its pid in every line (text or JSON), and the configuration's "Serilog" section applied.</summary>
[TestFixture]
public sealed class LogSettingsTests
{
    [Test]
    public async Task Text_lines_carry_the_pid()
    {
        await using var temp = new TempDirectory("p2pshare-logtext-");
        var file = temp.Combine("t.log");
        using (var logger = new LogSettings(Verbose: false, file, Json: false).CreateLogger())
            logger.Information("hello {Who}", "text");
        var line = (await File.ReadAllLinesAsync(file)).Single();
        Assert.That(line, Does.Contain($"[INF] ({Environment.ProcessId}) hello text"));
    }

    [Test]
    public async Task The_serilog_section_sets_the_level_and_json_lines_parse()
    {
        await using var temp = new TempDirectory("p2pshare-logjson-");
        var file = temp.Combine("j.log");
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Serilog:MinimumLevel:Default"] = "Warning",
        }).Build();
        using (var logger = new LogSettings(Verbose: false, file, Json: true, configuration).CreateLogger())
        {
            logger.Information("not written");
            logger.Warning("written {Count}", 3);
        }
        var lines = await File.ReadAllLinesAsync(file);
        TestContext.Out.WriteLine(string.Join('\n', lines));
        Assert.That(lines, Has.Length.EqualTo(1), "Information is below the configured Warning");
        var json = JsonDocument.Parse(lines[0]).RootElement;
        Assert.That(json.GetProperty("@m").GetString(), Is.EqualTo("written 3"));
        Assert.That(json.GetProperty("@l").GetString(), Is.EqualTo("Warning"));
        Assert.That(json.GetProperty("ProcessId").GetInt32(), Is.EqualTo(Environment.ProcessId));
    }

    [Test]
    public void The_pid_placeholder_and_the_default_file_name_the_process() =>
        Assert.Multiple(() =>
        {
            Assert.That(LogSettings.Expand("/x/run-{pid}.log"), Is.EqualTo($"/x/run-{Environment.ProcessId}.log"));
            Assert.That(Path.GetFileName(LogSettings.DefaultPath()), Is.EqualTo($"p2pshare-{Environment.ProcessId}.log"));
        });
}
