using System.Net;

namespace P2PShare.Networking.Udp;

/// <summary>
/// One protocol on the shared UDP port (DHT, uTP, UDP trackers). The port offers each datagram to its handlers in
/// order; the first that recognises it takes it. Called on the port's receive loop: never block, and copy what you keep.
/// </summary>
internal interface IDatagramHandler
{
    bool TryHandle(ReadOnlySpan<byte> datagram, IPEndPoint from);

    /// <summary>
    /// Called on the receive loop once the socket's receive queue is empty, after a burst of datagrams: the moment
    /// to send what was deferred while they came in (uTP's acknowledgements). Only a sender whose
    /// <see cref="IDatagramSender.ReportsDrains"/> is true calls it.
    /// </summary>
    void OnReceiveQueueDrained()
    {
    }
}
