using System.Net;
using System.Net.Sockets;

namespace P2PShare.Networking.Udp;

/// <summary>
/// The receive loop's cache of sender endpoints: a uTP or DHT peer sends many datagrams from one address, and each
/// handler keys its state by <see cref="IPEndPoint"/>, so one object per sender is made and reused. Bounded (remote
/// parties choose the addresses): when full it starts over. Used by one receive loop only.
/// </summary>
internal sealed class SenderEndPoints(int capacity = 4096)
{
    private readonly Dictionary<SocketAddress, IPEndPoint> _known = [];

    public IPEndPoint For(SocketAddress address)
    {
        if (_known.TryGetValue(address, out var endPoint))
            return endPoint;
        if (_known.Count >= capacity)
            _known.Clear();
        // The address is the loop's reused buffer: the key must be a copy.
        var key = new SocketAddress(address.Family, address.Size);
        address.Buffer.Span[..address.Size].CopyTo(key.Buffer.Span);
        endPoint = (IPEndPoint)new IPEndPoint(address.Family == AddressFamily.InterNetworkV6 ? IPAddress.IPv6Any : IPAddress.Any, 0).Create(key);
        _known[key] = endPoint;
        return endPoint;
    }
}
