using P2PShare.Protocol.Utp;

namespace P2PShare.Tests.Utp;

[TestFixture]
public sealed class UtpPacketTests
{
    private static readonly UtpHeader Sample = new(UtpPacketType.Data, 0xBEEF, 0x01020304, 0xA0B0C0D0, 65536, 0xFFFE, 7);

    [Test]
    public void HeaderIsTwentyBigEndianBytesWithTypeAndVersionFirst()
    {
        var bytes = new byte[UtpHeader.Size];
        new UtpHeader(UtpPacketType.Syn, 0x1234, 1, 2, 3, 4, 5).WriteTo(bytes);
        Assert.That(Convert.ToHexString(bytes), Is.EqualTo("41001234" + "00000001" + "00000002" + "00000003" + "0004" + "0005"));
    }

    [Test]
    public void DataPacketRoundTripsWithPayload()
    {
        var bytes = new byte[UtpHeader.Size + 3];
        Sample.WriteTo(bytes);
        bytes[20] = 1; bytes[21] = 2; bytes[22] = 3;
        Assert.That(UtpPacket.TryParse(bytes, out var packet, out var error), Is.True, error);
        Assert.That(packet.Header, Is.EqualTo(Sample));
        Assert.That(packet.Payload.ToArray(), Is.EqualTo(new byte[] { 1, 2, 3 }));
        Assert.That(packet.SelectiveAck.IsEmpty, Is.True);
    }

    [Test]
    public void SelectiveAckRoundTripsAndCountsFromAckPlusTwo()
    {
        var header = Sample with { Type = UtpPacketType.State, AckNumber = 65534 };
        var mask = new byte[4];
        UtpSelectiveAck.Set(mask, 65534, 0);       // ack + 2 wraps to 0: bit 0
        UtpSelectiveAck.Set(mask, 65534, 9);       // bit 9
        Assert.That(mask, Is.EqualTo(new byte[] { 0x01, 0x02, 0, 0 }));
        var bytes = new byte[UtpSelectiveAck.HeaderLength(4)];
        UtpSelectiveAck.WritePacketHeader(bytes, header, mask);
        Assert.That(UtpPacket.TryParse(bytes, out var packet, out var error), Is.True, error);
        Assert.That(packet.SelectiveAck.ToArray(), Is.EqualTo(mask));
        Assert.That(UtpSelectiveAck.IsAcked(packet.SelectiveAck, 65534, 0), Is.True);
        Assert.That(UtpSelectiveAck.IsAcked(packet.SelectiveAck, 65534, 65535), Is.False, "ack + 1 is never in the mask");
        Assert.That(UtpSelectiveAck.IsAcked(packet.SelectiveAck, 65534, 9), Is.True);
        Assert.That(UtpSelectiveAck.IsAcked(packet.SelectiveAck, 65534, 10), Is.False);
    }

    [Test]
    public void UnknownExtensionsAreSkippedAndOddSelectiveAckLengthsAccepted()
    {
        // Extension 2 (libtorrent's close reason, 4 bytes), then a 13-byte selective ACK as libtorrent sends them.
        var bytes = new byte[UtpHeader.Size + 2 + 4 + 2 + 13];
        (Sample with { Type = UtpPacketType.State }).WriteTo(bytes, firstExtension: 2);
        bytes[20] = 1; bytes[21] = 4;
        bytes[26] = 0; bytes[27] = 13; bytes[28] = 0xFF;
        Assert.That(UtpPacket.TryParse(bytes, out var packet, out var error), Is.True, error);
        Assert.That(packet.SelectiveAck.Length, Is.EqualTo(13));
        Assert.That(packet.Payload.IsEmpty, Is.True);
    }

    private static IEnumerable<TestCaseData> Hostile()
    {
        byte[] Header(Action<byte[]>? change = null, int extra = 0, byte extension = 0, UtpPacketType type = UtpPacketType.Data)
        {
            var b = new byte[UtpHeader.Size + extra];
            (Sample with { Type = type }).WriteTo(b, extension);
            change?.Invoke(b);
            return b;
        }
        yield return new TestCaseData(new byte[19], "shorter than a uTP header").SetName("{m}(truncated header)");
        yield return new TestCaseData(Header(b => b[0] = 0x02), "version 2").SetName("{m}(version 2)");
        yield return new TestCaseData(Header(b => b[0] = 0x51), "unknown uTP packet type 5").SetName("{m}(type 5)");
        yield return new TestCaseData(Header(extension: 1), "truncated uTP extension header").SetName("{m}(extension promised, none there)");
        yield return new TestCaseData(Header(b => { b[20] = 0; b[21] = 8; }, extra: 6, extension: 1), "runs past the datagram").SetName("{m}(extension longer than the datagram)");
        yield return new TestCaseData(Header(b => { b[20] = 0; b[21] = 0; }, extra: 2, extension: 1), "selective ACK of 0 bytes").SetName("{m}(empty selective ACK)");
        yield return new TestCaseData(Header(b => { b[20] = 1; b[21] = 4; b[26] = 0; b[27] = 4; }, extra: 12, extension: 1), "two selective ACK").SetName("{m}(two selective ACKs)");
        yield return new TestCaseData(Header(b => { for (var i = 20; i < b.Length; i += 2) { b[i] = 9; b[i + 1] = 0; } }, extra: 40, extension: 9), "too many uTP extensions").SetName("{m}(endless extension chain)");
        yield return new TestCaseData(Header(extra: 5, type: UtpPacketType.State), "State packet with 5 bytes of payload").SetName("{m}(payload on a STATE)");
    }

    [TestCaseSource(nameof(Hostile))]
    public void HostilePacketsAreRefusedWithAReason(byte[] datagram, string reason)
    {
        Assert.That(UtpPacket.TryParse(datagram, out _, out var error), Is.False);
        Assert.That(error, Does.Contain(reason));
    }

    [Test]
    public void DhtAndTrackerDatagramsAreNotMistakenForUtp()
    {
        Assert.That(UtpHeader.LooksLikeUtp("d1:ad2:id20:abcdefghij0123456789e1:q4:ping1:t2:aa1:y1:qe"u8), Is.False);
        Assert.That(UtpHeader.LooksLikeUtp(new byte[] { 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0 }), Is.False);
    }
}
