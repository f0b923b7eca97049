using FsCheck;
using FsCheck.Fluent;
using P2PShare.Protocol.Utp;

namespace P2PShare.Tests.Hardening.Properties;

/// <summary>FsCheck: BEP 29 uTP headers, with or without a selective ACK, and a data packet's payload survive write → parse.</summary>
[TestFixture]
public sealed class UtpProperties
{
    [Test]
    public void PacketsRoundTrip() => PropertyCheck.ForAll(
        Generators.Zip(
            Generators.Zip(Gen.Elements(Enum.GetValues<UtpPacketType>()), Generators.UShort, Generators.UInt, Generators.UInt, Generators.UInt),
            Gen.Zip(Generators.UShort, Generators.UShort),
            Gen.Choose(0, UtpPacket.MaxSelectiveAckLength / 4).SelectMany(words => Generators.FixedBytes(words * 4)),
            Generators.Bytes(1400)),
        fields =>
        {
            var ((type, connection, timestamp, difference, window), (sequence, ack), mask, data) = fields;
            var payload = type == UtpPacketType.Data ? data : []; // only data packets carry a payload
            var header = new UtpHeader(type, connection, timestamp, difference, window, sequence, ack);
            var datagram = new byte[UtpSelectiveAck.HeaderLength(mask.Length) + payload.Length];
            var headerLength = UtpSelectiveAck.WritePacketHeader(datagram, header, mask);
            payload.CopyTo(datagram, headerLength);
            Assert.That(UtpPacket.TryParse(datagram, out var packet, out var error), error);
            return packet.Header == header && packet.SelectiveAck.SequenceEqual(mask) && packet.Payload.SequenceEqual(payload);
        });
}
