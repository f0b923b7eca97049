using System.Net;
using System.Net.NetworkInformation;
using System.Net.Sockets;

namespace P2PShare.Networking.PortMapping;

/// <summary>What the routing table says: the IPv4 default gateways, and our address on the way to a host.</summary>
internal static class LocalRoutes
{
    public static IReadOnlyList<IPAddress> DefaultGateways()
    {
        try
        {
            return NetworkInterface.GetAllNetworkInterfaces()
                .Where(n => n.OperationalStatus is OperationalStatus.Up or OperationalStatus.Unknown)
                .SelectMany(n => n.GetIPProperties().GatewayAddresses)
                .Select(g => g.Address)
                .Where(a => a.AddressFamily == AddressFamily.InterNetwork && !IPAddress.Any.Equals(a))
                .Distinct()
                .Take(4)
                .ToList();
        }
        catch (NetworkInformationException)
        {
            return [];
        }
    }

    /// <summary>The local address the kernel would send from to reach <paramref name="remote"/> (no packet is sent).</summary>
    public static IPAddress? SourceAddressFor(IPAddress remote)
    {
        try
        {
            using var probe = new Socket(remote.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
            probe.Connect(new IPEndPoint(remote, 9));
            return ((IPEndPoint)probe.LocalEndPoint!).Address;
        }
        catch (SocketException)
        {
            return null;
        }
    }
}
