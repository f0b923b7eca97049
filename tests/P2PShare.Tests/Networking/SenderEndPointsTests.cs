using System.Net;
using System.Net.Sockets;
using P2PShare.Networking.Udp;

namespace P2PShare.Tests.Networking;

public sealed class SenderEndPointsTests
{
    [Test]
    public void One_endpoint_object_per_sender_address_and_the_cache_is_bounded()
    {
        var cache = new SenderEndPoints(capacity: 2);
        var reused = new SocketAddress(AddressFamily.InterNetwork);
        IPEndPoint Receive(string address, int port)
        {
            // As the receive loop does: the one buffer is overwritten by each datagram's source.
            var source = new IPEndPoint(IPAddress.Parse(address), port).Serialize();
            source.Buffer.Span[..source.Size].CopyTo(reused.Buffer.Span);
            reused.Size = source.Size;
            return cache.For(reused);
        }

        var a = Receive("127.0.0.1", 6881);
        Assert.That(a, Is.EqualTo(new IPEndPoint(IPAddress.Loopback, 6881)));
        Assert.That(Receive("127.0.0.1", 6881), Is.SameAs(a));
        var b = Receive("127.0.0.2", 6881);
        Assert.That(b, Is.EqualTo(new IPEndPoint(IPAddress.Parse("127.0.0.2"), 6881)));
        Assert.That(Receive("127.0.0.1", 6882), Is.EqualTo(new IPEndPoint(IPAddress.Loopback, 6882)), "a third sender: the cache starts over");
        Assert.That(Receive("127.0.0.1", 6881), Is.Not.SameAs(a));
        Assert.That(Receive("127.0.0.1", 6881), Is.EqualTo(a));
    }
}
