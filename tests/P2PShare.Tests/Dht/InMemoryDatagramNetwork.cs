using System.Collections.Concurrent;
using System.Net;
using P2PShare.Networking.Udp;

namespace P2PShare.Tests.Dht;

/// <summary>
/// Datagrams between handlers in one process, no sockets: each send is delivered (a copy) on the thread pool,
/// as a receive loop would. Addresses can be taken offline to test timeouts; every datagram is counted.
/// </summary>
internal sealed class InMemoryDatagramNetwork
{
    private readonly ConcurrentDictionary<IPEndPoint, IDatagramHandler> _handlers = new();
    private readonly ConcurrentDictionary<IPEndPoint, bool> _offline = new();
    private long _delivered;

    public long Delivered => Interlocked.Read(ref _delivered);

    public IDatagramSender SenderFor(IPEndPoint local) => new Sender(this, local);

    public void Attach(IPEndPoint local, IDatagramHandler handler) => _handlers[local] = handler;

    public void SetOffline(IPEndPoint local, bool offline = true) => _offline[local] = offline;

    private void Deliver(ReadOnlyMemory<byte> datagram, IPEndPoint from, IPEndPoint to)
    {
        if (_offline.GetValueOrDefault(from) || _offline.GetValueOrDefault(to) || !_handlers.TryGetValue(to, out var handler))
            return;
        var copy = datagram.ToArray();
        ThreadPool.QueueUserWorkItem(_ =>
        {
            Interlocked.Increment(ref _delivered);
            handler.TryHandle(copy, from);
        });
    }

    private sealed class Sender(InMemoryDatagramNetwork network, IPEndPoint local) : IDatagramSender
    {
        public int Port => local.Port;

        public ValueTask SendAsync(ReadOnlyMemory<byte> datagram, IPEndPoint to, CancellationToken cancellationToken)
        {
            network.Deliver(datagram, local, to);
            return ValueTask.CompletedTask;
        }
    }
}

/// <summary>Records what a node sends, for tests that talk to one node directly.</summary>
internal sealed class CapturingSender(int port = 6881) : IDatagramSender
{
    private readonly ConcurrentQueue<(byte[] Datagram, IPEndPoint To)> _sent = new();

    public int Port => port;

    public IReadOnlyList<(byte[] Datagram, IPEndPoint To)> Sent => [.. _sent];

    public ValueTask SendAsync(ReadOnlyMemory<byte> datagram, IPEndPoint to, CancellationToken cancellationToken)
    {
        _sent.Enqueue((datagram.ToArray(), to));
        return ValueTask.CompletedTask;
    }

    public void Clear() => _sent.Clear();
}
