using System.Globalization;
using System.Text.Json;
using P2PShare.Tests.Support;

namespace P2PShare.Tests.Interop.Download;

/// <summary>aria2c seeding one torrent on 127.0.0.1 (scripts/swarm/aria2.sh) with JSON-RPC on, trackers off.</summary>
internal sealed class Aria2Seeder : IAsyncDisposable
{
    private Aria2Seeder(ExternalProcess process, int peerPort, int rpcPort)
    {
        Process = process;
        PeerPort = peerPort;
        RpcPort = rpcPort;
    }

    public ExternalProcess Process { get; }

    public int PeerPort { get; }

    public int RpcPort { get; }

    /// <summary>
    /// Starts aria2c seeding <paramref name="torrentPath"/> from <paramref name="dataDirectory"/> (it verifies the
    /// data first) and waits until it has all of it and listens.
    /// </summary>
    public static async Task<Aria2Seeder> StartAsync(string torrentPath, string dataDirectory, CancellationToken cancellationToken,
        int uploadLimitBytesPerSecond = 0)
    {
        RequiredTool.Ensure("aria2c");
        RequiredTool.Ensure(RequiredTool.DebianPython);
        var peerPort = FreePort.Get();
        var rpcPort = FreePort.Get();
        List<string> args =
        [
            SwarmScripts.Path("aria2.sh"), "seed", "--torrent", torrentPath, "--dir", dataDirectory,
            "--port", Port(peerPort), "--rpc-port", Port(rpcPort), "--no-trackers",
        ];
        if (uploadLimitBytesPerSecond > 0)
        {
            args.AddRange(["--upload-limit", Port(uploadLimitBytesPerSecond)]);
        }
        var process = ExternalProcess.Start("/bin/bash", args, name: "aria2c");
        var seeder = new Aria2Seeder(process, peerPort, rpcPort);
        try
        {
            JsonElement? last = null;
            await Eventually.UntilAsync(async () =>
            {
                if (process.HasExited)
                {
                    Assert.Fail($"aria2c exited.{Environment.NewLine}{process.Describe()}");
                }
                last = await seeder.StatusAsync(cancellationToken).ConfigureAwait(false);
                return last is { } s && s.GetProperty("totalLength").GetString() is { } total && total != "0"
                    && s.GetProperty("completedLength").GetString() == total
                    && await LoopbackHttp.IsListeningAsync(peerPort, cancellationToken).ConfigureAwait(false);
            }, TimeSpan.FromSeconds(30), "aria2c to verify the data and listen",
                () => $"last status: {last}{Environment.NewLine}{process.Describe()}", TimeSpan.FromMilliseconds(250), cancellationToken);
            return seeder;
        }
        catch
        {
            await seeder.DisposeAsync();
            throw;
        }
    }

    /// <summary>aria2.tellStatus of the download, or null when the RPC did not answer.</summary>
    public Task<JsonElement?> StatusAsync(CancellationToken cancellationToken) =>
        SwarmCommand.TryJsonAsync("aria2.sh", ["status", "--rpc-port", Port(RpcPort)], cancellationToken);

    /// <summary>Payload bytes uploaded so far (uploadLength), or -1 when the RPC did not answer.</summary>
    public async Task<long> UploadedAsync(CancellationToken cancellationToken) =>
        await StatusAsync(cancellationToken).ConfigureAwait(false) is { } status
            ? long.Parse(status.GetProperty("uploadLength").GetString()!, CultureInfo.InvariantCulture)
            : -1;

    public ValueTask DisposeAsync() => Process.DisposeAsync();

    private static string Port(int port) => port.ToString(CultureInfo.InvariantCulture);
}
