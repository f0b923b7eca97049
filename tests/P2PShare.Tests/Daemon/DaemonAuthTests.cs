using System.Net;
using System.Text.Json;
using P2PShare.Tests.Support;

namespace P2PShare.Tests.Daemon;

/// <summary>Who may use the daemon: a non-local RPC bind needs credentials; wrong ones get 401; the password is kept hashed.</summary>
[TestFixture]
public sealed class DaemonAuthTests
{
    [Test]
    [CancelAfter(30_000)]
    public async Task A_non_local_bind_without_credentials_refuses_to_start(CancellationToken ct)
    {
        await using var temp = new TempDirectory("p2pshare-daemon-auth-");
        await using var client = P2PShareClient.Start(temp.Path, "daemon-open",
            ["daemon", "--config-dir", temp.Combine("config"), "--rpc-bind", "0.0.0.0", "--rpc-port", FreePort.Get().ToString(), "--port", "0", "--no-dht"]);
        var exit = await client.Process.WaitForExitAsync(TimeSpan.FromSeconds(20), ct);
        var stderr = client.Process.StderrTail.Trim();
        TestContext.Out.WriteLine(stderr);
        Assert.That(exit, Is.EqualTo(2));
        Assert.That(stderr.Split('\n'), Has.Length.EqualTo(1), "one line");
        Assert.That(stderr, Does.Contain("--rpc-username").And.Contain("0.0.0.0"));
    }

    [Test]
    [CancelAfter(60_000)]
    public async Task Credentials_are_required_and_the_password_is_stored_hashed(CancellationToken ct)
    {
        await using var temp = new TempDirectory("p2pshare-daemon-auth-");
        var config = temp.CreateSubdirectory("config");
        var settingsPath = Path.Combine(config, "settings.json");
        await File.WriteAllTextAsync(settingsPath, """{ "RpcUsername": "admin", "RpcPassword": "correct horse" }""", ct);
        // Bound to all addresses (allowed: credentials are set); the test still talks to it over 127.0.0.1 only.
        await using var daemon = await DaemonProcess.StartAsync(temp.Path, config, temp.Combine("data"), ct, extraArguments: ["--rpc-bind", "0.0.0.0"]);

        var settings = await File.ReadAllTextAsync(settingsPath, ct);
        TestContext.Out.WriteLine(settings);
        Assert.That(settings, Does.Not.Contain("correct horse"), "the plain password is gone from settings.json");
        Assert.That(JsonDocument.Parse(settings).RootElement.GetProperty("RpcPasswordHash").GetString(), Does.StartWith("pbkdf2-sha256$"));

        var none = await new DaemonRpcClient(daemon.RpcPort).SendAsync("session-get", cancellationToken: ct);
        var wrong = await new DaemonRpcClient(daemon.RpcPort, "admin", "wrong").SendAsync("session-get", cancellationToken: ct);
        var right = new DaemonRpcClient(daemon.RpcPort, "admin", "correct horse");
        var withoutSession = await right.SendRawAsync("""{"method":"session-get"}""", ct, handshake: false);
        var ok = await right.SendAsync("session-get", cancellationToken: ct);
        var events = await LoopbackHttp.Client.GetAsync($"http://127.0.0.1:{daemon.RpcPort}/api/events", HttpCompletionOption.ResponseHeadersRead, ct);
        Assert.Multiple(() =>
        {
            Assert.That(none.Status, Is.EqualTo(HttpStatusCode.Unauthorized));
            Assert.That(none.Response.Headers.WwwAuthenticate.ToString(), Does.StartWith("Basic"));
            Assert.That(wrong.Status, Is.EqualTo(HttpStatusCode.Unauthorized));
            Assert.That(withoutSession.Status, Is.EqualTo(HttpStatusCode.Conflict), "right credentials, no session id: 409");
            Assert.That(ok.Status, Is.EqualTo(HttpStatusCode.OK));
            Assert.That(ok.Result, Is.EqualTo("success"));
            Assert.That(events.StatusCode, Is.EqualTo(HttpStatusCode.Unauthorized), "the events stream needs the credentials too");
        });
        events.Dispose();

        // transmission-remote with the right and wrong --auth, when it is installed (it is in CI).
        if (RequiredTool.Find("transmission-remote") is not null)
        {
            var (badExit, badOutput) = await TransmissionRemote.RunAsync(daemon.RpcPort, ["--auth", "admin:nope", "-l"], ct);
            var (goodExit, _) = await TransmissionRemote.RunAsync(daemon.RpcPort, ["--auth", "admin:correct horse", "-l"], ct);
            Assert.That(badOutput, Does.Contain("401"));
            Assert.That(goodExit, Is.EqualTo(0));
        }
    }
}
