using System.Net;

namespace P2PShare.Networking.Udp;

/// <summary>
/// One protocol on the shared UDP port (DHT, uTP, UDP trackers). The port offers each datagram to its handlers in
/// order; the first that recognises it takes it. Called on the port's receive loop: never block, and copy what you keep.
/// </summary>
public interface IDatagramHandler
{
    bool TryHandle(ReadOnlySpan<byte> datagram, IPEndPoint from);
}
