using System.Globalization;
using System.Text.RegularExpressions;
using P2PShare.Tests.Support;

namespace P2PShare.Tests.Daemon;

/// <summary>
/// 'p2pshare daemon' as a separate process (through <see cref="P2PShareClient"/>: killed by PID on dispose), on
/// loopback only: RPC on a free port, peers on 127.0.0.1 (port chosen by the engine, read from its start line), no DHT.
/// </summary>
public sealed partial class DaemonProcess : IAsyncDisposable
{
    private DaemonProcess(P2PShareClient client, int rpcPort, int peerPort, string configDirectory)
    {
        Client = client;
        RpcPort = rpcPort;
        PeerPort = peerPort;
        ConfigDirectory = configDirectory;
        Rpc = new DaemonRpcClient(rpcPort);
    }

    public P2PShareClient Client { get; }

    public ExternalProcess Process => Client.Process;

    public int RpcPort { get; }

    public int PeerPort { get; }

    public string ConfigDirectory { get; }

    public DaemonRpcClient Rpc { get; }

    public static Task<DaemonProcess> StartAsync(string workDirectory, string configDirectory, string downloadDirectory, CancellationToken cancellationToken,
        int? rpcPort = null, IEnumerable<string>? extraArguments = null, string name = "daemon") =>
        StartAsync(workDirectory, configDirectory, cancellationToken, rpcPort, ["--download-dir", downloadDirectory, .. extraArguments ?? []], name);

    /// <summary>Starts the daemon and waits (at most 30 s) for its start line: RPC listening, torrents restored.</summary>
    public static async Task<DaemonProcess> StartAsync(string workDirectory, string configDirectory, CancellationToken cancellationToken,
        int? rpcPort, IEnumerable<string> arguments, string name)
    {
        var port = rpcPort ?? FreePort.Get();
        var client = P2PShareClient.Start(workDirectory, name,
            ["daemon", "--config-dir", configDirectory, "--rpc-port", port.ToString(CultureInfo.InvariantCulture), "--port", "0", "--bind", "127.0.0.1", "--no-dht", .. arguments]);
        try
        {
            var match = await Eventually.ValueAsync(() => Task.FromResult(StartLine().Match(client.Process.StdoutTail)), m => m.Success || client.HasExited,
                TimeSpan.FromSeconds(30), "the daemon's start line", () => client.Process.Describe(), cancellationToken: cancellationToken).ConfigureAwait(false);
            if (!match.Success)
                Assert.Fail($"the daemon exited before starting.{Environment.NewLine}{client.Process.Describe()}");
            return new DaemonProcess(client, port, int.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture), configDirectory);
        }
        catch
        {
            await client.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>SIGTERM and the exit code (fails the test if it takes longer than <paramref name="grace"/>).</summary>
    public Task<int> StopAsync(TimeSpan grace, CancellationToken cancellationToken = default)
    {
        Process.Terminate();
        return Process.WaitForExitAsync(grace, cancellationToken);
    }

    public ValueTask DisposeAsync() => Client.DisposeAsync();

    [GeneratedRegex(@"p2pshare daemon: RPC on \S+, peers on port (\d+)")]
    private static partial Regex StartLine();
}
