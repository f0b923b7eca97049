using System.Net;
using P2PShare.Networking.Peers;

namespace P2PShare.Tests.Support;

/// <summary>
/// A peer transport whose "network" is in memory: a dial to an address hands the far end of a fresh pair to whoever
/// listens there (an engine under test, or a raw test peer); an address with no listener is refused.
/// </summary>
internal sealed class InMemoryPeerTransport : IPeerTransport
{
    private readonly Dictionary<IPEndPoint, Action<Stream, IPEndPoint>> _listeners = [];
    private int _nextPort = 40000;

    public string Name => "memory";

    /// <summary>Dials made, refused ones included.</summary>
    public int Dials { get; private set; }

    public IPEndPoint Listen(Action<Stream, IPEndPoint> accept)
    {
        lock (_listeners)
        {
            var endPoint = new IPEndPoint(IPAddress.Loopback, _nextPort++);
            _listeners[endPoint] = accept;
            return endPoint;
        }
    }

    public ValueTask<Stream> ConnectAsync(IPEndPoint endPoint, CancellationToken cancellationToken)
    {
        Action<Stream, IPEndPoint>? accept;
        lock (_listeners)
        {
            Dials++;
            _listeners.TryGetValue(endPoint, out accept);
        }
        if (accept is null)
            throw new IOException($"connection refused by {endPoint} (no in-memory listener)");
        var (near, far) = InMemoryDuplexStream.CreatePair();
        accept(far, new IPEndPoint(IPAddress.Loopback, 50000));
        return ValueTask.FromResult<Stream>(near);
    }
}
