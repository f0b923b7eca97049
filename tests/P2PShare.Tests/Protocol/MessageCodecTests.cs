using System.Buffers;
using P2PShare.Metainfo;
using P2PShare.Protocol;
using P2PShare.Protocol.Wire;

namespace P2PShare.Tests.Protocol;

public class MessageCodecTests
{
    private static readonly FrameLimits Limits = new(PieceCount: 20);

    [Test]
    public void Every_message_written_is_read_back_with_its_fields()
    {
        var buffer = new byte[1024];
        var used = 0;
        used += MessageWriter.WriteKeepAlive(buffer.AsSpan(used));
        used += MessageWriter.WriteSimple(buffer.AsSpan(used), MessageId.Choke);
        used += MessageWriter.WriteSimple(buffer.AsSpan(used), MessageId.Unchoke);
        used += MessageWriter.WriteSimple(buffer.AsSpan(used), MessageId.Interested);
        used += MessageWriter.WriteSimple(buffer.AsSpan(used), MessageId.NotInterested);
        used += MessageWriter.WriteHave(buffer.AsSpan(used), 7);
        used += MessageWriter.WriteBitfield(buffer.AsSpan(used), [0xFF, 0xFF, 0xF0]);
        used += MessageWriter.WriteRequest(buffer.AsSpan(used), 3, 16384, 16384);
        used += MessageWriter.WritePieceHeader(buffer.AsSpan(used), 3, 16384, 4);
        new byte[] { 1, 2, 3, 4 }.CopyTo(buffer.AsSpan(used));
        used += 4;
        used += MessageWriter.WriteCancel(buffer.AsSpan(used), 3, 0, 100);
        used += MessageWriter.WritePort(buffer.AsSpan(used), 6881);

        var sequence = new ReadOnlySequence<byte>(buffer, 0, used);
        var messages = new List<string>();
        byte[]? pieceData = null;
        while (MessageReader.TryRead(ref sequence, Limits, out var message))
        {
            messages.Add(message.ToString());
            if (message.Id == MessageId.Piece)
                pieceData = message.Payload.ToArray();
            if (message.Id == MessageId.Port)
                Assert.That(message.Index, Is.EqualTo(6881));
        }

        Assert.That(messages, Is.EqualTo(new[]
        {
            "KeepAlive", "Choke", "Unchoke", "Interested", "NotInterested", "have 7", "Bitfield",
            "Request 3:16384+16384", "piece 3:16384+4", "Cancel 3:0+100", "Port",
        }));
        Assert.That(pieceData, Is.EqualTo(new byte[] { 1, 2, 3, 4 }));
        Assert.That(sequence.Length, Is.Zero);
    }

    [Test]
    public void A_message_split_across_reads_waits_for_the_rest()
    {
        var buffer = new byte[17];
        MessageWriter.WriteRequest(buffer, 1, 2, 3);
        for (var cut = 0; cut < buffer.Length; cut++)
        {
            var partial = new ReadOnlySequence<byte>(buffer, 0, cut);
            Assert.That(MessageReader.TryRead(ref partial, Limits, out _), Is.False, $"cut at {cut}");
        }
    }

    [TestCase(new byte[] { 0, 0, 0, 2, 0, 0 }, "choke message with invalid length 2")]
    [TestCase(new byte[] { 0, 0, 0, 9, 4 }, "have message with invalid length 9")]
    [TestCase(new byte[] { 0, 0, 0, 5, 5 }, "bitfield message with invalid length 5")]
    [TestCase(new byte[] { 0, 0, 0, 12, 6 }, "request message with invalid length 12")]
    [TestCase(new byte[] { 0, 0, 0x40, 0x0A, 7 }, "piece message with invalid length 16394")]
    [TestCase(new byte[] { 0x7F, 0xFF, 0xFF, 0xFF, 7 }, "piece message with invalid length 2147483647")]
    [TestCase(new byte[] { 0xFF, 0xFF, 0xFF, 0xFF, 99 }, "unknown (id 99) message with invalid length 4294967295")]
    public void Oversized_or_wrongly_sized_messages_are_refused_before_their_payload_arrives(byte[] bytes, string problem)
    {
        var sequence = new ReadOnlySequence<byte>(bytes);
        var error = Assert.Throws<PeerProtocolException>(() => MessageReader.TryRead(ref sequence, Limits, out _));
        Assert.That(error!.Message, Is.EqualTo(problem));
    }

    [Test]
    public void Handshake_round_trips_and_rejects_other_protocols()
    {
        var ours = new Handshake(Handshake.ExtensionProtocolBit, new InfoHash(new byte[20]), PeerId.CreateOurs(new Random(1)));
        var bytes = new byte[Handshake.Size];
        ours.WriteTo(bytes);
        var back = Handshake.Parse(bytes);
        Assert.Multiple(() =>
        {
            Assert.That(back.InfoHash, Is.EqualTo(ours.InfoHash));
            Assert.That(back.PeerId, Is.EqualTo(ours.PeerId));
            Assert.That(back.Reserved, Is.EqualTo(ours.Reserved));
            Assert.That(back.PeerId.ClientName, Is.EqualTo("P2PShare 0.0.0.1"));
        });
        bytes[1] = (byte)'X';
        Assert.Throws<PeerProtocolException>(() => Handshake.Parse(bytes));
    }

    [Test]
    public void Bitfield_with_spare_bits_set_is_refused()
    {
        Assert.That(Bitfield.TryFromBytes([0xFF, 0xF8], 12, out _), Is.False);
        Assert.That(Bitfield.TryFromBytes([0xFF, 0xF0], 12, out var ok), Is.True);
        Assert.That(ok.CountSet, Is.EqualTo(12));
        Assert.That(Bitfield.TryFromBytes([0xFF], 12, out _), Is.False);
    }
}
