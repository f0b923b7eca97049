using Microsoft.Extensions.Logging.Abstractions;
using P2PShare.Networking.Dht;
using P2PShare.Networking.Udp;

namespace P2PShare.Fuzz.Targets;

/// <summary>
/// The <c>dht-state</c> target: the DHT's state file (dht.dat: node id, known nodes, external address) as a restart
/// reads it (<see cref="DhtStateFile.TryRead"/>), a node started with what it held (id chosen, nodes put in the routing
/// table), and the state that node saves, read again. Nothing may escape: a file that is not usable reads as none (the
/// node bootstraps afresh); what a node saves must always read back, with its id.
/// </summary>
internal static class DhtStateFuzz
{
    public static void Run(byte[] input)
    {
        var saved = DhtStateFile.TryRead(input);
        var node = new DhtNode(new DhtOptions(), new NoSender(), TimeProvider.System, new Random(25), NullLogger.Instance, saved);
        _ = node.Status;
        var state = node.SavedState();
        if (state.Nodes.Count > node.NodeCount)
            throw new InvalidOperationException("invariant: more nodes saved than the table holds");
        var again = DhtStateFile.TryRead(DhtStateFile.Encode(state))
            ?? throw new InvalidOperationException("invariant: the state a node saves does not read back");
        if (again.NodeId != state.NodeId || again.Nodes.Count != state.Nodes.Count(n => n.EndPoint.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork))
            throw new InvalidOperationException("invariant: the state read back differs from the one saved");
    }

    /// <summary>Sends nothing (the target never bootstraps).</summary>
    internal sealed class NoSender : IDatagramSender
    {
        public int Port => 6881;

        public ValueTask SendAsync(ReadOnlyMemory<byte> datagram, System.Net.IPEndPoint to, CancellationToken cancellationToken) => ValueTask.CompletedTask;
    }
}
