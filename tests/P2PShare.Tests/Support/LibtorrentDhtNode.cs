using System.Globalization;
using System.Net;
using System.Text.Json;

namespace P2PShare.Tests.Support;

/// <summary>
/// A bare libtorrent DHT node (scripts/swarm/lt_dht.py) on 127.0.0.1: the bootstrap node of a loopback DHT, or a
/// libtorrent node that looks info-hashes up (<see cref="GetPeersAsync"/>) and announces.
/// </summary>
public sealed class LibtorrentDhtNode : IAsyncDisposable
{
    private long _nextCommandId;

    private LibtorrentDhtNode(ExternalProcess process, int port)
    {
        Process = process;
        Port = port;
    }

    public ExternalProcess Process { get; }

    /// <summary>Its UDP (DHT) and TCP port on 127.0.0.1.</summary>
    public int Port { get; }

    public IPEndPoint EndPoint => new(IPAddress.Loopback, Port);

    /// <summary>Starts a node joining through <paramref name="bootstrap"/> (none: it is a bootstrap node itself).</summary>
    public static async Task<LibtorrentDhtNode> StartAsync(IEnumerable<IPEndPoint>? bootstrap = null, CancellationToken cancellationToken = default)
    {
        var python = RequiredTool.EnsureLibtorrent();
        var args = new List<string> { SwarmScripts.Path("lt_dht.py"), "--status-interval", "0.5" };
        foreach (var node in bootstrap ?? [])
        {
            args.AddRange(["--bootstrap", $"{node.Address}:{node.Port.ToString(CultureInfo.InvariantCulture)}"]);
        }
        var process = ExternalProcess.Start(python, args, name: "lt_dht");
        try
        {
            var started = await process.WaitForJsonLineAsync(j => EventIs(j, "started"), TimeSpan.FromSeconds(20), "the 'started' line",
                cancellationToken).ConfigureAwait(false);
            var port = started.GetProperty("listen_port").GetInt32();
            if (port == 0)
            {
                Assert.Fail($"lt_dht.py did not open a port.{Environment.NewLine}{process.Describe()}");
            }
            return new LibtorrentDhtNode(process, port);
        }
        catch
        {
            await process.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>Nodes in libtorrent's routing table, from the latest status line.</summary>
    public int DhtNodes =>
        Process.LastJsonLine(j => EventIs(j, "status")) is { } json ? json.GetProperty("dht_nodes").GetInt32() : 0;

    /// <summary>Starts a DHT get_peers lookup; the peers show up in <see cref="PeersFound"/>.</summary>
    public Task StartGetPeersAsync(string infoHashHex, CancellationToken cancellationToken = default) =>
        SendCommandAsync($"get-peers {infoHashHex}", cancellationToken);

    public Task AnnounceAsync(string infoHashHex, int port, CancellationToken cancellationToken = default) =>
        SendCommandAsync($"announce {infoHashHex} {port.ToString(CultureInfo.InvariantCulture)}", cancellationToken);

    /// <summary>Every peer any get_peers reply for <paramref name="infoHashHex"/> carried so far.</summary>
    public IReadOnlySet<IPEndPoint> PeersFound(string infoHashHex) =>
        Process.JsonLines()
            .Where(j => EventIs(j, "dht_peers") && string.Equals(j.GetProperty("info_hash").GetString(), infoHashHex, StringComparison.OrdinalIgnoreCase))
            .SelectMany(j => j.GetProperty("peers").EnumerateArray().Select(p => IPEndPoint.Parse(p.GetString()!)))
            .ToHashSet();

    public ValueTask DisposeAsync() => Process.DisposeAsync();

    private async Task SendCommandAsync(string command, CancellationToken cancellationToken)
    {
        var id = Interlocked.Increment(ref _nextCommandId).ToString(CultureInfo.InvariantCulture);
        await Process.WriteLineAsync($"@{id} {command}", cancellationToken).ConfigureAwait(false);
        var reply = await Process.WaitForJsonLineAsync(
            j => (EventIs(j, "command_ok") || EventIs(j, "command_error")) && j.TryGetProperty("id", out var c) && c.GetString() == id,
            TimeSpan.FromSeconds(10), $"lt_dht.py to acknowledge '{command}'", cancellationToken).ConfigureAwait(false);
        if (EventIs(reply, "command_error"))
        {
            Assert.Fail($"lt_dht.py rejected '{command}': {reply.GetProperty("message").GetString()}");
        }
    }

    private static bool EventIs(JsonElement json, string name) => json.TryGetProperty("event", out var e) && e.GetString() == name;
}
