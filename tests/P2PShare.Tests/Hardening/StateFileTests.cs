using System.Text;
using System.Text.Json.Nodes;
using P2PShare.Cli;
using P2PShare.Cli.Daemon;
using P2PShare.Networking.Dht;
using P2PShare.Tests.Support;

namespace P2PShare.Tests.Hardening;

/// <summary>
/// Damaged state files (issue #25, the state-file fuzz targets: docs/fuzzing.md): each finding of the daemon-settings,
/// daemon-torrents, resume and dht-state targets, and of reading their readers, as a named case. A damaged file gives a
/// clear one-line error, or is ignored or replaced with a logged warning; it never crashes or loses what it held.
/// </summary>
[TestFixture]
public sealed class StateFileTests
{
    /// <summary>Found by the in-process smoke: a name that is not UTF-8 read fine at start (the provider reads text), then
    /// session-set's write-back threw InvalidOperationException from JsonObject's lazy name reading.</summary>
    [Test]
    public void SettingsWithBytesThatAreNotUtf8AreWrittenBack()
    {
        byte[] file = [.. "{\n  \"Port\": 51413,\n  \""u8, 0x9a, .. "Odd\": 1\n}"u8];

        var written = SettingsStore.Merge(file, new Dictionary<string, JsonNode?> { ["Port"] = 6881 }, [], "settings.json");

        var root = JsonNode.Parse(written)!.AsObject();
        Assert.That(root["Port"]!.GetValue<int>(), Is.EqualTo(6881));
        Assert.That(root.Select(p => p.Key), Has.Some.EqualTo("\uFFFDOdd"), "the odd key kept, as the configuration read it");
    }

    /// <summary>
    /// Found reading the password move: settings.json may have comments and trailing commas (the configuration allows them)
    /// but the move parsed it strictly (JsonException: the daemon did not start), and it looked for "RpcPassword" in exactly that
    /// case while the configuration takes any case (the plain password would have stayed in the file).
    /// </summary>
    [Test]
    public async Task APlainPasswordInAFileWithCommentsAndAnyCaseIsReplacedByItsHash()
    {
        await using var temp = new TempDirectory("p2pshare-settings-");
        var path = temp.Combine("settings.json");
        await File.WriteAllTextAsync(path, "{\n  // the RPC user\n  \"rpcusername\": \"admin\",\n  \"rpcpassword\": \"s3cret-pass\",\n  \"Port\": 51413,\n}\n");

        var (settings, _) = await DaemonConfiguration.LoadAsync(temp.Path, new Dictionary<string, string?>(), CancellationToken.None);

        var text = await File.ReadAllTextAsync(path);
        TestContext.Out.WriteLine(text);
        Assert.That(settings.RpcPasswordHash, Does.StartWith("pbkdf2-sha256$"));
        Assert.That(PasswordHash.Verify("s3cret-pass", settings.RpcPasswordHash!));
        Assert.That(text, Does.Not.Contain("s3cret-pass"), "the plain password is gone from the file");
        var keys = JsonNode.Parse(text)!.AsObject().Select(p => p.Key).ToList();
        Assert.That(keys, Has.None.EqualTo("RpcPassword").IgnoreCase);
        Assert.That(keys, Has.Some.EqualTo("RpcPasswordHash").And.Some.EqualTo("rpcusername").And.Some.EqualTo("Port"), "other keys are kept");
    }

    /// <summary>Found reading DaemonSettings.From (next to the daemon-settings target): an empty (or NUL-holding) directory setting threw ArgumentException from
    /// Path.GetFullPath ("The value cannot be an empty string"), not the one-line settings error.</summary>
    [TestCase("DownloadDir", "")]
    [TestCase("DownloadDir", "/srv/a\\u0000b")]
    [TestCase("WatchDir", "/srv/w\\u0000")]
    public void ADirectorySettingThatIsNoPathIsAOneLineError(string key, string value)
    {
        var json = $"{{\"{key}\": \"{value}\"}}";

        var error = Assert.Throws<UserErrorException>(() => Fuzz.Targets.DaemonSettingsFuzz.Read(Encoding.UTF8.GetBytes(json)));

        Assert.That(error!.Message, Does.StartWith($"setting {key} = '").And.EndWith("must be a directory path").And.Not.Contain("\0").And.Not.Contain("\n"));
    }

    /// <summary>
    /// Found reading the restore: torrents.json entries were used as written: a null entry (NullReferenceException: the daemon did not
    /// start), an info-hash naming a path ("../../x": a .torrent read, and deleted on removal, outside the config directory), a
    /// relative download directory, a magnet link for another torrent, a taken id. Each is left out with a reason; numbers out of
    /// range get their defaults.
    /// </summary>
    [Test]
    public void TorrentListEntriesThatNameNoTorrentSafelyAreLeftOutWithAReason()
    {
        const string Hash = "c12fe1c06bba254a9dc9f519b335aa7c1367a88a";
        var json = $$"""
            [
              {"Id": 1, "InfoHash": "{{Hash.ToUpperInvariant()}}", "DownloadDir": "/srv/a", "Unwanted": null, "PercentDone": 7, "DownloadLimit": -5, "DownloadLimited": true},
              null,
              {"Id": 2, "InfoHash": "../../../../etc/passwd/aaaaaaaaaaaaaaaaaaaaaaaaa", "DownloadDir": "/srv/a"},
              {"Id": 3, "InfoHash": "0123456789abcdef0123456789abcdef01234567", "DownloadDir": "relative/dir"},
              {"Id": 4, "InfoHash": "0123456789abcdef0123456789abcdef01234567", "DownloadDir": "/srv/b", "Magnet": "magnet:?xt=urn:btih:{{Hash}}"},
              {"Id": 1, "InfoHash": "0123456789abcdef0123456789abcdef01234567", "DownloadDir": "/srv/b"},
              {"Id": 0, "InfoHash": "0123456789abcdef0123456789abcdef01234567", "DownloadDir": "/srv/b"},
              {"Id": 5, "InfoHash": "{{Hash}}", "DownloadDir": "/srv/c"},
              {"Id": 6, "InfoHash": "0123456789abcdef0123456789abcdef01234567", "DownloadDir": "/srv/d", "Magnet": "magnet:?xt=urn:btih:0123456789abcdef0123456789abcdef01234567"}
            ]
            """;
        var skipped = new List<string>();

        var restored = CatalogEntryRules.Restorable(TorrentCatalog.Parse(Encoding.UTF8.GetBytes(json), "torrents.json"), (i, reason) => skipped.Add($"{i}: {reason}"));

        TestContext.Out.WriteLine(string.Join(Environment.NewLine, skipped));
        Assert.That(restored.Select(e => e.Id), Is.EqualTo(new[] { 1, 6 }));
        Assert.That(skipped, Has.Count.EqualTo(7));
        Assert.That(skipped, Has.Some.StartWith("1: the entry is null"));
        Assert.That(skipped, Has.Some.StartWith("2: infoHash '../../../../etc/passwd/").And.Some.Contains("not 40 hex characters"));
        Assert.That(skipped, Has.Some.StartWith("3: downloadDir 'relative/dir' is not an absolute path"));
        Assert.That(skipped, Has.Some.StartWith("4: its magnet link names another torrent"));
        Assert.That(skipped, Has.Some.StartWith("5: id 1 is taken"));
        Assert.That(skipped, Has.Some.StartWith("6: id 0 is not from 1"));
        Assert.That(skipped, Has.Some.StartWith($"7: torrent {Hash} is listed twice"));
        var first = restored[0];
        Assert.That((first.InfoHash, first.Unwanted, first.PercentDone, first.DownloadLimit, first.DownloadLimited), Is.EqualTo((Hash, (IReadOnlyList<int>)[], 1.0, 100L, false)));
    }

    /// <summary>
    /// Found reading the restore: a torrents.json that is not JSON stopped the daemon with one line, as intended, but the
    /// shutdown then saved the (empty) list over it: the next start had no torrents and no error. Now the file stays as it was.
    /// </summary>
    [Test, CancelAfter(60_000)]
    public async Task ADamagedTorrentListStopsTheDaemonWithOneLineAndIsKept(CancellationToken ct)
    {
        await using var temp = new TempDirectory("p2pshare-damaged-list-");
        var config = temp.CreateSubdirectory("config");
        var list = Path.Combine(config, "torrents.json");
        byte[] damaged = [.. "[\n  {\n    \"Id\": 1,\n    \"InfoHash\": \"c12fe1c06bba254a9dc9f519b335"u8];
        await File.WriteAllBytesAsync(list, damaged, ct);

        await using var daemon = P2PShareClient.Start(temp.Path, "daemon", ["daemon", "--config-dir", config, "--rpc-port", FreePort.Get().ToString(System.Globalization.CultureInfo.InvariantCulture),
            "--port", "0", "--bind", "127.0.0.1", "--no-dht", "--download-dir", temp.CreateSubdirectory("data")]);
        var exit = await daemon.WaitForExitAsync(TimeSpan.FromSeconds(40), ct);

        TestContext.Out.WriteLine(daemon.Process.StderrTail);
        Assert.That(exit, Is.EqualTo(1), daemon.Describe());
        var errors = daemon.Process.StderrTail.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.That(errors, Has.Length.EqualTo(1).And.Some.Contains("torrents.json is damaged"), daemon.Describe());
        Assert.That(await File.ReadAllBytesAsync(list, ct), Is.EqualTo(damaged), "the damaged list is left as it was");
    }

    /// <summary>dht.dat that is not one (truncated, other bytes, nodes not a multiple of 26) reads as none: the node bootstraps afresh.</summary>
    [TestCase("")]
    [TestCase("d2:id20:abcdefghij0123456789")]
    [TestCase("d2:id20:abcdefghij01234567895:nodes5:xxxxxe")]
    [TestCase("d2:id3:abc5:nodes0:e")]
    [TestCase("li1ee")]
    public void ADamagedDhtStateFileReadsAsNone(string text) =>
        Assert.That(DhtStateFile.TryRead(Encoding.Latin1.GetBytes(text)), Is.Null);
}
