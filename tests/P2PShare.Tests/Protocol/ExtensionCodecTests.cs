using System.Buffers;
using System.Text;
using P2PShare.Protocol.Extensions;
using P2PShare.Protocol.Wire;
using P2PShare.Tests.Support;

namespace P2PShare.Tests.Protocol;

/// <summary>BEP 10 extended handshake and framing, BEP 9 ut_metadata messages: round trips and hostile input.</summary>
public class ExtensionCodecTests
{
    [Test]
    public void Extension_handshake_round_trips_every_field()
    {
        var handshake = new ExtensionHandshake
        {
            Messages = new Dictionary<string, byte> { ["ut_metadata"] = 3, ["ut_pex"] = 1 },
            MetadataSize = 31_235,
            ClientName = "P2PShare 0.1",
            ListenPort = 51413,
            RequestQueue = 250,
            YourIp = System.Net.IPAddress.Parse("203.0.113.9"),
        };

        var decoded = ExtensionHandshake.Parse(handshake.Encode());
        Assert.That(decoded.YourIp, Is.EqualTo(System.Net.IPAddress.Parse("203.0.113.9")));
        Assert.That(ExtensionHandshake.Parse(new ExtensionHandshake { YourIp = System.Net.IPAddress.Parse("2001:db8::5") }.Encode()).YourIp,
            Is.EqualTo(System.Net.IPAddress.Parse("2001:db8::5")));
        Assert.That(ExtensionHandshake.Parse("d6:yourip3:abce"u8.ToArray()).YourIp, Is.Null, "a 'yourip' of another length is ignored");

        Assert.That(decoded.Messages, Is.EquivalentTo(handshake.Messages));
        Assert.That(decoded.IdOf("ut_metadata"), Is.EqualTo(3));
        Assert.That(decoded.IdOf("lt_donthave"), Is.Null);
        Assert.That(decoded.MetadataSize, Is.EqualTo(31_235));
        Assert.That(decoded.ClientName, Is.EqualTo("P2PShare 0.1"));
        Assert.That(decoded.ListenPort, Is.EqualTo(51413));
        Assert.That(decoded.RequestQueue, Is.EqualTo(250));
    }

    [Test]
    public void Extension_handshake_ignores_unknown_keys_and_disabled_extensions()
    {
        // As libtorrent sends it, plus keys we do not know; an id of 0 means the extension is switched off.
        var body = "d1:ei0e4:ipv616:0123456789abcdef1:md11:lt_donthavei7e6:ut_pexi0e11:ut_metadatai2ee13:metadata_sizei1610e1:pi6881e4:reqqi500e1:v18:libtorrent 2.0.8.06:yourip4:\u007f\0\0\u0001e";
        var decoded = ExtensionHandshake.Parse(Encoding.Latin1.GetBytes(body));

        Assert.That(decoded.Messages.Keys, Is.EquivalentTo(new[] { "lt_donthave", "ut_metadata" }));
        Assert.That(decoded.IdOf("ut_metadata"), Is.EqualTo(2));
        Assert.That(decoded.MetadataSize, Is.EqualTo(1610));
        Assert.That(decoded.ListenPort, Is.EqualTo(6881));
        Assert.That(decoded.ClientName, Is.EqualTo("libtorrent 2.0.8.0"));
    }

    [Test]
    public void Extension_handshake_without_m_is_valid_and_offers_nothing()
    {
        var decoded = ExtensionHandshake.Parse("d1:v3:abce"u8.ToArray());
        Assert.That(decoded.Messages, Is.Empty);
        Assert.That(decoded.MetadataSize, Is.Null);
    }

    [TestCase("", TestName = "empty")]
    [TestCase("le", TestName = "a list, not a dictionary")]
    [TestCase("d1:mi5ee", TestName = "m is not a dictionary")]
    [TestCase("d1:md11:ut_metadatai256eee", TestName = "extension id over 255")]
    [TestCase("d1:md11:ut_metadatai-1eee", TestName = "negative extension id")]
    [TestCase("d1:md11:ut_metadata1:xee", TestName = "extension id is a string")]
    [TestCase("d13:metadata_size3:abce", TestName = "metadata_size is a string")]
    [TestCase("d1:pi0ee", TestName = "port 0")]
    [TestCase("d1:pi65536ee", TestName = "port over 65535")]
    [TestCase("d1:vi5ee", TestName = "client name is an integer")]
    [TestCase("d1:md11:ut_metadatai2e", TestName = "truncated")]
    [TestCase("d1:md11:ut_metadatai2eeee", TestName = "trailing bytes")]
    [TestCase("d1:pi99999999999999999999ee", TestName = "integer overflow")]
    public void Malformed_extension_handshake_is_a_protocol_violation(string body)
    {
        Assert.Throws<PeerProtocolException>(() => ExtensionHandshake.Parse(Encoding.Latin1.GetBytes(body)));
    }

    [Test]
    public void Extension_handshake_with_too_many_extensions_or_too_deep_nesting_is_refused()
    {
        var many = new StringBuilder("d1:md");
        for (var i = 0; i < 200; i++)
            many.Append(CultureInvariant($"4:x{i:000}i1e"));
        many.Append("ee");
        Assert.Throws<PeerProtocolException>(() => ExtensionHandshake.Parse(Encoding.ASCII.GetBytes(many.ToString())));

        var deep = "d1:x" + new string('l', 100) + new string('e', 100) + "e";
        Assert.Throws<PeerProtocolException>(() => ExtensionHandshake.Parse(Encoding.ASCII.GetBytes(deep)));

        Assert.Throws<PeerProtocolException>(() => ExtensionHandshake.Parse(new byte[ExtensionHandshake.MaxEncodedLength + 1]));
    }

    [Test]
    public void Extended_frame_is_read_back_by_the_message_reader()
    {
        var body = new ExtensionHandshake { Messages = new Dictionary<string, byte> { ["ut_metadata"] = 2 } }.Encode();
        var frame = ExtendedMessage.Frame(ExtendedMessage.HandshakeId, body);
        var buffer = new ReadOnlySequence<byte>(frame);

        Assert.That(MessageReader.TryRead(ref buffer, new FrameLimits(PieceCount: 10), out var message), Is.True);
        Assert.That(message.Id, Is.EqualTo(MessageId.Extended));
        var (id, read) = ExtendedMessage.Split(message);
        Assert.That(id, Is.EqualTo(ExtendedMessage.HandshakeId));
        Assert.That(read, Is.EqualTo(body));
        Assert.That(buffer.Length, Is.Zero);
    }

    [Test]
    public void Extended_frame_over_the_limit_is_refused_before_its_body_arrives()
    {
        // Only the 6-byte header of a 2 MiB extended message: refused on the length alone.
        byte[] header = [0x00, 0x20, 0x00, 0x00, 20, 0];
        var buffer = new ReadOnlySequence<byte>(header);
        Assert.Throws<PeerProtocolException>(() => MessageReader.TryRead(ref buffer, new FrameLimits(PieceCount: 10), out _));
    }

    [Test]
    public void Before_the_metadata_a_bitfield_of_any_bounded_length_is_accepted()
    {
        var frame = new byte[5 + 1000];
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32BigEndian(frame, 1001);
        frame[4] = (byte)MessageId.Bitfield;
        var buffer = new ReadOnlySequence<byte>(frame);
        Assert.That(MessageReader.TryRead(ref buffer, FrameLimits.BeforeMetadata, out var message), Is.True);
        Assert.That(message.Length, Is.EqualTo(1000));

        byte[] huge = [0x00, 0x10, 0x00, 0x01, (byte)MessageId.Bitfield];
        var hugeBuffer = new ReadOnlySequence<byte>(huge);
        Assert.Throws<PeerProtocolException>(() => MessageReader.TryRead(ref hugeBuffer, FrameLimits.BeforeMetadata, out _));
    }

    [Test]
    public void Metadata_request_reject_and_data_round_trip()
    {
        var request = MetadataMessage.Parse(MetadataMessage.Request(3).Encode());
        Assert.That((request.Type, request.Piece), Is.EqualTo((MetadataMessageType.Request, 3)));

        var reject = MetadataMessage.Parse(MetadataMessage.Reject(7).Encode());
        Assert.That((reject.Type, reject.Piece), Is.EqualTo((MetadataMessageType.Reject, 7)));

        var piece = new byte[MetadataMessage.PieceLength];
        new Random(5).NextBytes(piece);
        var data = MetadataMessage.Parse(MetadataMessage.DataPiece(1, 40_000, piece).Encode());
        Assert.That((data.Type, data.Piece, data.TotalSize), Is.EqualTo((MetadataMessageType.Data, 1, 40_000L)));
        Assert.That(data.Data.ToArray(), SameBytes.As(piece));
    }

    [Test]
    public void Metadata_request_encodes_as_bep9_shows()
    {
        Assert.That(Encoding.ASCII.GetString(MetadataMessage.Request(0).Encode()), Is.EqualTo("d8:msg_typei0e5:piecei0ee"));
        Assert.That(Encoding.ASCII.GetString(MetadataMessage.DataPiece(0, 3, "abc"u8.ToArray()).Encode()),
            Is.EqualTo("d8:msg_typei1e5:piecei0e10:total_sizei3eeabc"));
    }

    [Test]
    public void Unknown_metadata_message_type_is_ignored_not_an_error()
    {
        var message = MetadataMessage.Parse("d8:msg_typei9e5:piecei0ee"u8.ToArray());
        Assert.That(message.Type, Is.Not.AnyOf(MetadataMessageType.Request, MetadataMessageType.Data, MetadataMessageType.Reject));
    }

    [TestCase("", TestName = "empty")]
    [TestCase("i1e", TestName = "not a dictionary")]
    [TestCase("d5:piecei0ee", TestName = "no msg_type")]
    [TestCase("d8:msg_typei0ee", TestName = "no piece")]
    [TestCase("d8:msg_typei0e5:piecei-1ee", TestName = "negative piece")]
    [TestCase("d8:msg_typei0e5:piecei4294967296ee", TestName = "piece over int range")]
    [TestCase("d8:msg_type1:05:piecei0ee", TestName = "msg_type is a string")]
    [TestCase("d8:msg_typei0e5:piecei0eeXYZ", TestName = "bytes after a request")]
    [TestCase("d8:msg_typei1e5:piecei0eeabc", TestName = "data without total_size")]
    [TestCase("d8:msg_typei1e5:piecei0e10:total_sizei0eeabc", TestName = "data with total_size 0")]
    [TestCase("d8:msg_typei1e5:piecei0e10:total_sizei-5eeabc", TestName = "data with negative total_size")]
    [TestCase("d8:msg_typei1e5:piecei0e10:total_sizei3ee", TestName = "data without bytes")]
    [TestCase("d8:msg_typei1e5:piecei0e", TestName = "truncated dictionary")]
    public void Malformed_metadata_message_is_a_protocol_violation(string body)
    {
        Assert.Throws<PeerProtocolException>(() => MetadataMessage.Parse(Encoding.Latin1.GetBytes(body)));
    }

    [Test]
    public void Metadata_data_longer_than_one_piece_is_refused()
    {
        var body = MetadataMessage.DataPiece(0, 100_000, new byte[MetadataMessage.PieceLength + 1]).Encode();
        Assert.Throws<PeerProtocolException>(() => MetadataMessage.Parse(body));
    }

    [TestCase(1, 1)]
    [TestCase(16384, 1)]
    [TestCase(16385, 2)]
    [TestCase(40_000, 3)]
    public void Metadata_piece_count_and_sizes(long total, int pieces)
    {
        Assert.That(MetadataMessage.PieceCount(total), Is.EqualTo(pieces));
        var sizes = Enumerable.Range(0, pieces).Select(i => (long)MetadataMessage.PieceSize(total, i)).Sum();
        Assert.That(sizes, Is.EqualTo(total));
    }

    private static string CultureInvariant(FormattableString text) => FormattableString.Invariant(text);
}
