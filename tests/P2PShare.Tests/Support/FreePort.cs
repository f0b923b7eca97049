using System.Net;
using System.Net.Sockets;

namespace P2PShare.Tests.Support;

/// <summary>
/// Free ports on 127.0.0.1. A port is returned only if both a TCP and a UDP socket could bind it, and a
/// port is never handed out twice by this process (other test runs on the machine pick their own,
/// so callers that start a program should still retry with a new port if the bind fails).
/// </summary>
public static class FreePort
{
    private static readonly Lock HandedOutLock = new();
    private static readonly HashSet<int> HandedOut = [];

    /// <summary>A port free for both TCP and UDP on 127.0.0.1 right now.</summary>
    public static int Get()
    {
        for (var attempt = 0; attempt < 200; attempt++)
        {
            int port;
            using (var tcp = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp))
            {
                tcp.Bind(new IPEndPoint(IPAddress.Loopback, 0));
                port = ((IPEndPoint)tcp.LocalEndPoint!).Port;
                try
                {
                    using var udp = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
                    udp.Bind(new IPEndPoint(IPAddress.Loopback, port));
                }
                catch (SocketException)
                {
                    continue;
                }
            }
            lock (HandedOutLock)
            {
                if (HandedOut.Add(port))
                {
                    return port;
                }
            }
        }
        throw new InvalidOperationException("could not find a port free for both TCP and UDP on 127.0.0.1");
    }

    /// <summary><paramref name="count"/> distinct free ports.</summary>
    public static int[] GetMany(int count) => Enumerable.Range(0, count).Select(_ => Get()).ToArray();
}
