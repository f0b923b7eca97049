using P2PShare.Tests.Support;

namespace P2PShare.Tests.Daemon;

/// <summary>
/// session-set refuses what the daemon's start would refuse (settings.json is read with the same ranges): a value saved
/// by session-set must never keep the daemon from starting again.
/// </summary>
[TestFixture]
public sealed class SessionSetRangeTests
{
    [Test]
    [CancelAfter(90_000)]
    public async Task Out_of_range_values_are_refused_and_nothing_is_saved_or_applied(CancellationToken ct)
    {
        await using var temp = new TempDirectory("p2pshare-daemon-ranges-");
        var config = temp.Combine("config");
        var data = temp.Combine("data");
        (string Name, object Value, string Result)[] refused =
        [
            ("peer-limit-global", 100_001, "peer-limit-global must be from 1 to 100000"),
            ("peer-limit-global", 0, "peer-limit-global must be from 1 to 100000"),
            ("peer-limit-per-torrent", 20_000, "peer-limit-per-torrent must be from 1 to 10000"),
            ("speed-limit-down", 3_000_000_000L, "speed-limit-down must be from 0 to 2147483647"),
            ("speed-limit-up", long.MaxValue, "speed-limit-up must be from 0 to 2147483647"),
            ("download-queue-size", 4_294_967_296L, "download-queue-size must be from 0 to 100000"),
            ("seed-queue-size", -1, "seed-queue-size must be from 0 to 100000"),
            ("download-dir", "/tmp/a\0b", "download-dir '/tmp/a"),
        ];
        var settingsPath = Path.Combine(config, "settings.json");
        await using (var daemon = await DaemonProcess.StartAsync(temp.Path, config, data, ct))
        {
            var before = File.Exists(settingsPath) ? await File.ReadAllTextAsync(settingsPath, ct) : null;
            foreach (var (name, value, result) in refused)
            {
                // The flag in the same call must not be applied either: the call is refused whole.
                var reply = await daemon.Rpc.SendAsync("session-set",
                    new Dictionary<string, object> { [name] = value, ["speed-limit-down-enabled"] = true, ["speed-limit-up-enabled"] = true }, ct);
                Assert.That(reply.Result, Does.StartWith(result), $"{name} = {value}");
            }
            var session = await daemon.Rpc.CallAsync("session-get", cancellationToken: ct);
            Assert.Multiple(() =>
            {
                Assert.That(session.GetProperty("peer-limit-global").GetInt64(), Is.EqualTo(500));
                Assert.That(session.GetProperty("peer-limit-per-torrent").GetInt64(), Is.EqualTo(50));
                Assert.That(session.GetProperty("speed-limit-down").GetInt64(), Is.EqualTo(100));
                Assert.That(session.GetProperty("speed-limit-down-enabled").GetBoolean(), Is.False);
                Assert.That(session.GetProperty("speed-limit-up-enabled").GetBoolean(), Is.False);
                Assert.That(session.GetProperty("download-queue-size").GetInt64(), Is.EqualTo(5));
                Assert.That(session.GetProperty("download-dir").GetString(), Is.EqualTo(data));
            });
            Assert.That(File.Exists(settingsPath) ? await File.ReadAllTextAsync(settingsPath, ct) : null, Is.EqualTo(before), "nothing saved");

            // The largest values in range are taken and survive a restart.
            await daemon.Rpc.CallAsync("session-set", new Dictionary<string, object>
            {
                ["peer-limit-global"] = 100_000, ["peer-limit-per-torrent"] = 10_000, ["speed-limit-down"] = int.MaxValue, ["speed-limit-down-enabled"] = true,
            }, ct);
            Assert.That(await daemon.StopAsync(TimeSpan.FromSeconds(20), ct), Is.EqualTo(0));
        }
        TestContext.Out.WriteLine(await File.ReadAllTextAsync(settingsPath, ct));
        await using (var daemon = await DaemonProcess.StartAsync(temp.Path, config, data, ct, name: "daemon-2"))
        {
            var session = await daemon.Rpc.CallAsync("session-get", cancellationToken: ct);
            Assert.That(session.GetProperty("peer-limit-global").GetInt64(), Is.EqualTo(100_000));
            Assert.That(session.GetProperty("speed-limit-down").GetInt64(), Is.EqualTo(int.MaxValue));
            Assert.That(session.GetProperty("speed-limit-down-enabled").GetBoolean(), Is.True);
        }
    }
}
