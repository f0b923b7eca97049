using System.CommandLine;
using P2PShare.Cli;
using P2PShare.Cli.Configuration;
using P2PShare.Tests.Support;

namespace P2PShare.Tests.Cli.Config;

/// <summary>
/// Settings file, then P2PSHARE__ environment variables, then the command line: each layer beats the one below, and
/// a bad value is one line naming the key and where it was written. Parsed in-process with an explicit environment.
/// </summary>
[TestFixture]
[NonParallelizable]
public sealed class ConfigurationPrecedenceTests
{
    private static readonly Dictionary<string, string?> NoEnvironment = [];

    private static async Task<(ParseResult Parse, TempDirectory Temp)> ParseAsync(string settingsJson, IReadOnlyDictionary<string, string?> environment, params string[] args)
    {
        var temp = new TempDirectory("p2pshare-config-");
        var settings = temp.Combine("settings.json");
        await File.WriteAllTextAsync(settings, settingsJson);
        var (parse, _) = ConfiguredParse.Parse(CliApplication.BuildRoot(), [.. args, "--config", settings], environment);
        Assert.That(parse.Errors, Is.Empty, string.Join("; ", parse.Errors.Select(e => e.Message)));
        return (parse, temp);
    }

    [Test]
    public async Task The_settings_file_sets_an_option_that_was_not_typed()
    {
        var (parse, temp) = await ParseAsync("""{ "MaxPeers": 7, "MaxDownloadRate": "2M", "Encryption": "require" }""", NoEnvironment, "download", "x.torrent");
        await using var _ = temp;
        Assert.That(parse.GetValue<int>("--max-peers"), Is.EqualTo(7));
        Assert.That(parse.GetValue<long?>("--max-download-rate"), Is.EqualTo(2L << 20), "units are parsed as on the command line");
        Assert.That(parse.GetValue<string>("--encryption"), Is.EqualTo("require"));
        Assert.That(parse.GetValue<int>("--upload-slots"), Is.EqualTo(4), "an unset key keeps the option's default");
    }

    [Test]
    public async Task An_environment_variable_beats_the_settings_file()
    {
        var environment = new Dictionary<string, string?> { ["P2PSHARE__MAXPEERS"] = "9", ["P2PSHARE__download__NoDht"] = "true", ["OTHER__MAXPEERS"] = "1" };
        var (parse, temp) = await ParseAsync("""{ "MaxPeers": 7, "NoDht": false }""", environment, "download", "x.torrent");
        await using var _ = temp;
        Assert.That(parse.GetValue<int>("--max-peers"), Is.EqualTo(9));
        Assert.That(parse.GetValue<bool>("--no-dht"), Is.True, "P2PSHARE__SECTION__KEY reaches the command's section");
    }

    [Test]
    public async Task An_option_on_the_command_line_beats_environment_and_file()
    {
        var environment = new Dictionary<string, string?> { ["P2PSHARE__MAXPEERS"] = "9" };
        var (parse, temp) = await ParseAsync("""{ "MaxPeers": 7 }""", environment, "download", "x.torrent", "--max-peers", "11");
        await using var _ = temp;
        Assert.That(parse.GetValue<int>("--max-peers"), Is.EqualTo(11));
    }

    [Test]
    public async Task A_command_section_beats_the_top_level_and_only_torrent_commands_read_the_top_level()
    {
        const string Json = """{ "MaxPeers": 7, "Output": "top", "seed": { "MaxPeers": 8, "Data": "/srv/data" }, "Peer": ["127.0.0.1:1", "127.0.0.1:2"] }""";
        var (download, temp1) = await ParseAsync(Json, NoEnvironment, "download", "x.torrent");
        var (seed, temp2) = await ParseAsync(Json, NoEnvironment, "seed", "x.torrent");
        var (create, temp3) = await ParseAsync(Json, NoEnvironment, "create", "src", "-o", "x.torrent");
        await using var _1 = temp1;
        await using var _2 = temp2;
        await using var _3 = temp3;
        Assert.That(download.GetValue<int>("--max-peers"), Is.EqualTo(7));
        Assert.That(download.GetValue<string[]>("--peer"), Is.EqualTo(new[] { "127.0.0.1:1", "127.0.0.1:2" }), "an array is the option repeated");
        Assert.That(seed.GetValue<int>("--max-peers"), Is.EqualTo(8));
        Assert.That(seed.GetValue<string>("--data"), Is.EqualTo("/srv/data"), "a required option can come from the settings");
        Assert.That(create.GetValue<string>("--output"), Is.EqualTo("x.torrent"), "'create' does not read the top-level Output");
    }

    [TestCase("""{ "MaxDownloadRate": "2X" }""", "setting MaxDownloadRate = '2X'", "unknown unit 'X'")]
    [TestCase("""{ "download": { "MaxPeers": "many" } }""", "setting download:MaxPeers = 'many'", "as a whole number")]
    [TestCase("""{ "MaxPeers": 7, """, "not valid settings JSON", "LineNumber")]
    [TestCase("""{ "LogFormat": "xml" }""", "setting LogFormat = 'xml'", "must be text or json")]
    public async Task A_bad_settings_file_is_one_line_naming_the_key_and_exit_2(string json, string expected, string reason)
    {
        await using var temp = new TempDirectory("p2pshare-badconfig-");
        var settings = temp.Combine("settings.json");
        await File.WriteAllTextAsync(settings, json);

        var result = await CliRunner.RunAsync(temp.Path, "download", temp.Combine("none.torrent"), "--config", settings);

        TestContext.Out.WriteLine(result.Stderr.Trim());
        Assert.That(result.ExitCode, Is.EqualTo(ExitCodes.BadInput), result.Stderr);
        var lines = result.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.That(lines, Has.Length.EqualTo(1), result.Stderr);
        Assert.That(lines[0], Does.StartWith("p2pshare: error: ").And.Contain(expected).And.Contain(reason).And.Contain(settings));
    }

    [Test]
    public async Task A_missing_explicit_settings_file_is_bad_input()
    {
        await using var temp = new TempDirectory("p2pshare-noconfig-");
        var result = await CliRunner.RunAsync(temp.Path, "download", "x.torrent", "--config", temp.Combine("nope.json"));
        Assert.That(result.ExitCode, Is.EqualTo(ExitCodes.BadInput));
        Assert.That(result.Stderr.Trim(), Is.EqualTo($"p2pshare: error: settings file not found: {temp.Combine("nope.json")}"));
    }

    [Test]
    public void Option_names_become_keys() =>
        Assert.That(new[] { "--max-download-rate", "--no-dht", "--peer", "-o" }.Select(ConfigurationArguments.KeyOf), Is.EqualTo(new[] { "MaxDownloadRate", "NoDht", "Peer", "O" }));
}
