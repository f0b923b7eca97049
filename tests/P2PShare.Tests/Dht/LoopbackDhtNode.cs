using System.Net;
using Microsoft.Extensions.Logging.Abstractions;
using P2PShare.Networking.Dht;
using P2PShare.Networking.Udp;

namespace P2PShare.Tests.Dht;

/// <summary>Our DhtNode on a real UdpPort (as the engine will run it), with the port's receive loop and maintenance running.</summary>
internal sealed class LoopbackDhtNode : IAsyncDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _receive;
    private readonly Task _maintenance;

    private LoopbackDhtNode(UdpPort port, DhtNode node)
    {
        Port = port;
        Node = node;
        _receive = port.RunAsync(_stop.Token);
        _maintenance = node.RunAsync(_stop.Token);
    }

    public UdpPort Port { get; }

    public DhtNode Node { get; }

    public IPEndPoint EndPoint => new(IPAddress.Loopback, Port.Port);

    public static LoopbackDhtNode Start(IPAddress? address = null, DhtOptions? options = null, int seed = 0)
    {
        var port = UdpPort.Bind(address ?? IPAddress.Loopback, 0, NullLogger.Instance);
        var node = new DhtNode(options ?? new DhtOptions(), port, TimeProvider.System, seed == 0 ? new Random() : new Random(seed), NullLogger.Instance);
        port.AddHandler(node);
        return new LoopbackDhtNode(port, node);
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await Task.WhenAll(_receive, _maintenance).WaitAsync(TimeSpan.FromSeconds(10));
        await Port.DisposeAsync();
        _stop.Dispose();
    }
}
