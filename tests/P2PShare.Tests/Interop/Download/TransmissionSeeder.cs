using System.Globalization;
using System.Text.Json;
using P2PShare.Tests.Support;

namespace P2PShare.Tests.Interop.Download;

/// <summary>
/// transmission-daemon seeding one torrent on 127.0.0.1 (scripts/swarm/transmission.sh). It never dials
/// loopback peers: the downloader must dial <see cref="PeerPort"/>.
/// </summary>
internal sealed class TransmissionSeeder : IAsyncDisposable
{
    private const int StatusSeeding = 6;

    private TransmissionSeeder(ExternalProcess process, int peerPort, int rpcPort, string infoHash)
    {
        Process = process;
        PeerPort = peerPort;
        RpcPort = rpcPort;
        InfoHash = infoHash;
    }

    public ExternalProcess Process { get; }

    public int PeerPort { get; }

    public int RpcPort { get; }

    public string InfoHash { get; }

    /// <summary>Starts the daemon, adds the torrent with <paramref name="dataDirectory"/> as its download dir and waits until it seeds.</summary>
    public static async Task<TransmissionSeeder> StartAsync(string torrentPath, string infoHash, string dataDirectory, string workDirectory,
        CancellationToken cancellationToken)
    {
        RequiredTool.Ensure("transmission-daemon");
        RequiredTool.Ensure(RequiredTool.DebianPython);
        var peerPort = FreePort.Get();
        var rpcPort = FreePort.Get();
        var process = ExternalProcess.Start("/bin/bash",
        [
            SwarmScripts.Path("transmission.sh"), "run", "--dir", Path.Combine(workDirectory, $"transmission-{peerPort}"),
            "--peer-port", Port(peerPort), "--rpc-port", Port(rpcPort), "--download-dir", dataDirectory,
        ], name: "transmission-daemon");
        var seeder = new TransmissionSeeder(process, peerPort, rpcPort, infoHash);
        try
        {
            await Eventually.UntilAsync(async () =>
            {
                if (process.HasExited)
                {
                    Assert.Fail($"transmission-daemon exited.{Environment.NewLine}{process.Describe()}");
                }
                return await seeder.RpcAsync(["status"], cancellationToken).ConfigureAwait(false) is not null;
            }, TimeSpan.FromSeconds(20), "transmission-daemon's RPC to answer", process.Describe, TimeSpan.FromMilliseconds(250), cancellationToken);
            var added = await seeder.RpcAsync(["add", "--torrent", torrentPath, "--download-dir", dataDirectory], cancellationToken);
            if (added is null)
            {
                Assert.Fail($"transmission refused the torrent.{Environment.NewLine}{process.Describe()}");
            }
            JsonElement? last = null;
            await Eventually.UntilAsync(async () =>
            {
                last = await seeder.StatusAsync(cancellationToken).ConfigureAwait(false);
                return last is { } s && s.GetProperty("status").GetInt32() == StatusSeeding && s.GetProperty("percentDone").GetDouble() >= 1.0;
            }, TimeSpan.FromSeconds(30), "transmission to check the data and seed",
                () => $"last status: {last}{Environment.NewLine}{process.Describe()}", TimeSpan.FromMilliseconds(250), cancellationToken);
            return seeder;
        }
        catch
        {
            await seeder.DisposeAsync();
            throw;
        }
    }

    /// <summary>This torrent's torrent-get entry (status, percentDone, uploadedEver, peersConnected...), or null.</summary>
    public async Task<JsonElement?> StatusAsync(CancellationToken cancellationToken)
    {
        var list = await RpcAsync(["status", "--hash", InfoHash], cancellationToken).ConfigureAwait(false);
        return list is { ValueKind: JsonValueKind.Array } array && array.GetArrayLength() > 0 ? array[0] : null;
    }

    /// <summary>Payload bytes uploaded so far (uploadedEver), or -1 when the RPC did not answer.</summary>
    public async Task<long> UploadedAsync(CancellationToken cancellationToken) =>
        await StatusAsync(cancellationToken).ConfigureAwait(false) is { } status ? status.GetProperty("uploadedEver").GetInt64() : -1;

    public ValueTask DisposeAsync() => Process.DisposeAsync();

    private Task<JsonElement?> RpcAsync(string[] arguments, CancellationToken cancellationToken) =>
        SwarmCommand.TryJsonAsync("transmission.sh", [arguments[0], "--rpc-port", Port(RpcPort), .. arguments[1..]], cancellationToken);

    private static string Port(int port) => port.ToString(CultureInfo.InvariantCulture);
}
