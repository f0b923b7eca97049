using System.Buffers;
using FsCheck;
using FsCheck.Fluent;
using P2PShare.Metainfo;
using P2PShare.Protocol;
using P2PShare.Protocol.Extensions;
using P2PShare.Protocol.Wire;

namespace P2PShare.Tests.Hardening.Properties;

/// <summary>FsCheck: BEP 3/6/10 wire messages, the handshake and BEP 52 hash messages survive write → read.</summary>
[TestFixture]
public sealed class WireProperties
{
    private const int PieceCount = 100;
    private static readonly FrameLimits Limits = new(PieceCount);

    /// <summary>One message as the reader reports it (index/begin/length as read, payload bytes copied).</summary>
    internal sealed record WireCase(MessageId Id, int Index, int Begin, int Length, byte[] Payload)
    {
        public byte[] Frame()
        {
            if (Id == MessageId.Extended)
                return ExtendedMessage.Frame(Payload[0], Payload.AsSpan(1));
            var frame = new byte[32 + Payload.Length];
            var written = Id switch
            {
                MessageId.KeepAlive => MessageWriter.WriteKeepAlive(frame),
                MessageId.Have => MessageWriter.WriteHave(frame, Index),
                MessageId.SuggestPiece => MessageWriter.WriteSuggestPiece(frame, Index),
                MessageId.AllowedFast => MessageWriter.WriteAllowedFast(frame, Index),
                MessageId.Bitfield => MessageWriter.WriteBitfield(frame, Payload),
                MessageId.Request => MessageWriter.WriteRequest(frame, Index, Begin, Length),
                MessageId.Cancel => MessageWriter.WriteCancel(frame, Index, Begin, Length),
                MessageId.RejectRequest => MessageWriter.WriteRejectRequest(frame, Index, Begin, Length),
                MessageId.Piece => MessageWriter.WritePieceHeader(frame, Index, Begin, Payload.Length),
                MessageId.Port => MessageWriter.WritePort(frame, (ushort)Index),
                _ => MessageWriter.WriteSimple(frame, Id),
            };
            if (Id == MessageId.Piece)
            {
                Payload.CopyTo(frame, written);
                written += Payload.Length;
            }
            return frame[..written];
        }

        public bool Matches(in PeerMessage message) => message.Id == Id
            && (Id is MessageId.Have or MessageId.SuggestPiece or MessageId.AllowedFast or MessageId.Port ? message.Index == Index : true)
            && (Id is MessageId.Request or MessageId.Cancel or MessageId.RejectRequest
                ? (message.Index, message.Begin, message.Length) == (Index, Begin, Length) : true)
            && (Id == MessageId.Piece ? (message.Index, message.Begin, message.Length) == (Index, Begin, Payload.Length) : true)
            && (Id is MessageId.Bitfield or MessageId.Piece or MessageId.Extended ? message.Payload.ToArray().AsSpan().SequenceEqual(Payload) : true);
    }

    private static Gen<WireCase> Message { get; } = Gen.OneOf(
        Gen.Elements(MessageId.KeepAlive, MessageId.Choke, MessageId.Unchoke, MessageId.Interested, MessageId.NotInterested, MessageId.HaveAll, MessageId.HaveNone)
            .Select(id => new WireCase(id, 0, 0, 0, [])),
        Gen.Zip(Gen.Elements(MessageId.Have, MessageId.SuggestPiece, MessageId.AllowedFast), Generators.Int).Select(pair => new WireCase(pair.Item1, pair.Item2, 0, 0, [])),
        Generators.FixedBytes(Bitfield.ByteLengthFor(PieceCount)).Select(bits => new WireCase(MessageId.Bitfield, 0, 0, 0, bits)),
        Gen.Zip(Gen.Elements(MessageId.Request, MessageId.Cancel, MessageId.RejectRequest), Gen.Three(Generators.Int))
            .Select(pair => new WireCase(pair.Item1, pair.Item2.Item1, pair.Item2.Item2, pair.Item2.Item3, [])),
        Gen.Zip(Gen.Two(Generators.Int), Generators.Bytes(4096))
            .Select(pair => new WireCase(MessageId.Piece, pair.Item1.Item1, pair.Item1.Item2, 0, pair.Item2)),
        Generators.UShort.Select(port => new WireCase(MessageId.Port, port, 0, 0, [])),
        Generators.Bytes(300).Where(body => body.Length >= 1).Select(body => new WireCase(MessageId.Extended, 0, 0, 0, body)));

    [Test]
    public void AnyStreamOfMessagesReadsBackInOrderAndAPrefixNeverReadsAPartialMessage() => PropertyCheck.ForAll(
        Gen.Zip(Gen.ArrayOf(Message), Gen.Choose(0, 1 << 20)), pair =>
        {
            var (messages, cutSeed) = pair;
            var frames = messages.Select(m => m.Frame()).ToList();
            var stream = frames.SelectMany(frame => frame).ToArray();
            var all = ReadAll(stream);
            Assert.That(all, Has.Count.EqualTo(messages.Length));
            for (var i = 0; i < messages.Length; i++)
                Assert.That(messages[i].Matches(all[i]), $"message {i} ({messages[i].Id}) read back differently");

            // Cut the stream anywhere: the reader returns the whole messages before the cut and waits for the rest.
            var cut = stream.Length == 0 ? 0 : cutSeed % (stream.Length + 1);
            var whole = 0;
            for (var sum = 0; whole < frames.Count && sum + frames[whole].Length <= cut; whole++)
                sum += frames[whole].Length;
            return ReadAll(stream[..cut]).Count == whole;
        }, tests: 100);

    [Test]
    public void HandshakeRoundTrips() => PropertyCheck.ForAll(
        Generators.Zip(Generators.Long, Generators.FixedBytes(20), Generators.FixedBytes(20)), fields =>
        {
            var original = new Handshake((ulong)fields.Item1, new InfoHash(fields.Item2), new PeerId(fields.Item3));
            var bytes = new byte[Handshake.Size];
            original.WriteTo(bytes);
            var parsed = Handshake.Parse(bytes);
            return parsed.Reserved == original.Reserved && parsed.InfoHash.Equals(original.InfoHash) && parsed.PeerId.Equals(original.PeerId);
        });

    [Test]
    public void HashRequestsAndHashesRoundTrip() => PropertyCheck.ForAll(
        Generators.Zip(Generators.FixedBytes(32), Gen.Choose(0, 20), Gen.Choose(0, 1 << 16), Gen.Choose(1, HashMessages.MaxHashesPerRequest), Gen.Choose(0, HashMessages.MaxProofLayers))
            .Select(f => new HashRequest(Convert.ToHexStringLower(f.Item1), f.Item2, f.Item3, f.Item4, f.Item5)), request =>
        {
            var requestFrame = HashMessages.EncodeRequest(MessageId.HashRequest, request);
            var parsedRequest = HashMessages.ParseRequest(new ReadOnlySequence<byte>(requestFrame, 5, requestFrame.Length - 5));
            var hashes = Enumerable.Range(0, request.AnswerHashCount * HashMessages.HashSize).Select(i => (byte)(i * 31 + request.Index)).ToArray();
            var hashesFrame = HashMessages.EncodeHashes(request, hashes);
            var parsedHashes = HashMessages.ParseHashes(new ReadOnlySequence<byte>(hashesFrame, 5, hashesFrame.Length - 5), out var parsedBytes);
            return parsedRequest == request && parsedHashes == request && parsedBytes.AsSpan().SequenceEqual(hashes);
        });

    private static List<PeerMessage> ReadAll(byte[] stream)
    {
        var buffer = new ReadOnlySequence<byte>(stream);
        var messages = new List<PeerMessage>();
        while (MessageReader.TryRead(ref buffer, Limits, out var message))
            messages.Add(message);
        return messages;
    }
}
