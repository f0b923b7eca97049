using System.Buffers.Binary;
using System.Net;
using P2PShare.Protocol.Tracker;
using static P2PShare.Tests.Trackers.TrackerTestData;

namespace P2PShare.Tests.Trackers;

public class UdpTrackerCodecTests
{
    [Test]
    public void ConnectRequestLayout()
    {
        var buffer = new byte[16];
        Assert.That(UdpTrackerCodec.WriteConnectRequest(buffer, 0x01020304), Is.EqualTo(16));
        Assert.That(Convert.ToHexString(buffer), Is.EqualTo("0000041727101980" + "00000000" + "01020304"));
    }

    [Test]
    public void AnnounceRequestLayout()
    {
        var parameters = new AnnounceParameters(Hash(3), PeerId(), 51413, Uploaded: 7, Downloaded: 5, Left: 6, TrackerEvent.Stopped, NumWant: -5, Key: 0xcafebabe);
        var buffer = new byte[98];
        Assert.That(UdpTrackerCodec.WriteAnnounceRequest(buffer, 0x1122334455667788, 99, parameters), Is.EqualTo(98));
        var span = buffer;
        Assert.Multiple(() =>
        {
            Assert.That(BinaryPrimitives.ReadInt64BigEndian(span.AsSpan()), Is.EqualTo(0x1122334455667788));
            Assert.That(BinaryPrimitives.ReadInt32BigEndian(span.AsSpan(8)), Is.EqualTo(1));
            Assert.That(BinaryPrimitives.ReadInt32BigEndian(span.AsSpan(12)), Is.EqualTo(99));
            Assert.That(span[16..36], Is.EqualTo(Hash(3).Span.ToArray()));
            Assert.That(span[36..56], Is.EqualTo(PeerId()));
            Assert.That(BinaryPrimitives.ReadInt64BigEndian(span.AsSpan(56)), Is.EqualTo(5), "downloaded");
            Assert.That(BinaryPrimitives.ReadInt64BigEndian(span.AsSpan(64)), Is.EqualTo(6), "left");
            Assert.That(BinaryPrimitives.ReadInt64BigEndian(span.AsSpan(72)), Is.EqualTo(7), "uploaded");
            Assert.That(BinaryPrimitives.ReadInt32BigEndian(span.AsSpan(80)), Is.EqualTo(3), "event stopped");
            Assert.That(BinaryPrimitives.ReadUInt32BigEndian(span.AsSpan(88)), Is.EqualTo(0xcafebabe), "key");
            Assert.That(BinaryPrimitives.ReadInt32BigEndian(span.AsSpan(92)), Is.EqualTo(-1), "num_want default");
            Assert.That(BinaryPrimitives.ReadUInt16BigEndian(span.AsSpan(96)), Is.EqualTo(51413));
        });
    }

    [Test]
    public void AnnounceRequestRefusesAShortPeerId()
    {
        var parameters = new AnnounceParameters(Hash(3), new byte[19], 1, 0, 0, 0, TrackerEvent.None, 1, 0);
        Assert.Throws<ArgumentException>(() => UdpTrackerCodec.WriteAnnounceRequest(new byte[98], 1, 1, parameters));
    }

    [Test]
    public void ConnectResponseIsCheckedAndRead()
    {
        var packet = Packet(0, 42, BitConverter.GetBytes(BinaryPrimitives.ReverseEndianness(0x0102030405060708L)));
        Assert.That(UdpTrackerCodec.ReadConnectResponse(packet, 42), Is.EqualTo(0x0102030405060708L));
        Assert.That(UdpTrackerCodec.IsResponseTo(packet, 43), Is.False);
        Assert.Throws<TrackerProtocolException>(() => UdpTrackerCodec.ReadConnectResponse(packet, 43));
        Assert.Throws<TrackerProtocolException>(() => UdpTrackerCodec.ReadConnectResponse(packet[..15], 42));
        Assert.Throws<TrackerProtocolException>(() => UdpTrackerCodec.ReadConnectResponse(Packet(1, 42, new byte[8]), 42));
    }

    [Test]
    public void AnnounceResponseIPv4AndIPv6()
    {
        var v4 = Packet(1, 7, Ints(1800, 3, 4), CompactPeers("1.2.3.4:5", "10.0.0.2:6881").Bytes.ToArray());
        var reply = UdpTrackerCodec.ReadAnnounceResponse(v4, 7, 4);
        Assert.That(reply.IntervalSeconds, Is.EqualTo(1800));
        Assert.That(reply.Incomplete, Is.EqualTo(3));
        Assert.That(reply.Complete, Is.EqualTo(4));
        Assert.That(reply.Peers, Is.EqualTo(new[] { IPEndPoint.Parse("1.2.3.4:5"), IPEndPoint.Parse("10.0.0.2:6881") }));

        var v6 = Packet(1, 7, Ints(60, 0, 1), CompactPeers6("[2001:db8::2]:443").Bytes.ToArray());
        Assert.That(UdpTrackerCodec.ReadAnnounceResponse(v6, 7, 16).Peers, Is.EqualTo(new[] { IPEndPoint.Parse("[2001:db8::2]:443") }));
    }

    [Test]
    public void AnnounceResponseWithARaggedPeerListIsRefused() =>
        Assert.Throws<TrackerProtocolException>(() => UdpTrackerCodec.ReadAnnounceResponse(Packet(1, 7, Ints(60, 0, 1), new byte[7]), 7, 4));

    [Test]
    public void ErrorPacketBecomesAFailure()
    {
        var buffer = new byte[100];
        var length = UdpTrackerCodec.WriteErrorResponse(buffer, 9, "unregistered torrent");
        var error = Assert.Throws<TrackerFailureException>(() => UdpTrackerCodec.ReadAnnounceResponse(buffer.AsSpan(0, length), 9, 4));
        Assert.That(error!.Reason, Is.EqualTo("unregistered torrent"));
    }

    [Test]
    public void ScrapeRoundTrip()
    {
        var request = new byte[36];
        Assert.That(UdpTrackerCodec.WriteScrapeRequest(request, 5, 6, Hash(4)), Is.EqualTo(36));
        Assert.That(BinaryPrimitives.ReadInt32BigEndian(request.AsSpan(8)), Is.EqualTo(2));
        Assert.That(UdpTrackerCodec.ReadScrapeResponse(Packet(2, 6, Ints(1, 2, 3)), 6), Is.EqualTo(new ScrapeStats(1, 2, 3)));
        Assert.Throws<TrackerProtocolException>(() => UdpTrackerCodec.ReadScrapeResponse(Packet(2, 6, Ints(1, 2)), 6));
    }

    internal static byte[] Packet(int action, int transactionId, params byte[][] parts)
    {
        var header = Ints(action, transactionId);
        return [.. header, .. parts.SelectMany(p => p)];
    }

    internal static byte[] Ints(params int[] values)
    {
        var bytes = new byte[values.Length * 4];
        for (var i = 0; i < values.Length; i++)
            BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(i * 4), values[i]);
        return bytes;
    }
}
