using System.Net;

namespace P2PShare.Networking.Udp;

/// <summary>Sends datagrams from the shared UDP port (so replies come back to the port the peers know).</summary>
internal interface IDatagramSender
{
    int Port { get; }

    /// <summary>Whether the receive side calls <see cref="IDatagramHandler.OnReceiveQueueDrained"/> after each burst.</summary>
    bool ReportsDrains => false;

    ValueTask SendAsync(ReadOnlyMemory<byte> datagram, IPEndPoint to, CancellationToken cancellationToken);
}
