using System.Buffers;
using System.Buffers.Binary;
using P2PShare.Protocol.Wire;

namespace P2PShare.Protocol.Extensions;

/// <summary>
/// BEP 10 framing: a peer wire message with id 20 whose payload starts with an extended message id
/// (0 is the extended handshake; others are the ids the receiver chose in its handshake's 'm').
/// </summary>
internal static class ExtendedMessage
{
    public const byte HandshakeId = 0;

    /// <summary>Length prefix, id 20 and the extended id.</summary>
    public const int HeaderLength = 6;

    /// <summary>A whole frame: header then <paramref name="body"/>.</summary>
    public static byte[] Frame(byte extendedId, ReadOnlySpan<byte> body)
    {
        var frame = new byte[HeaderLength + body.Length];
        BinaryPrimitives.WriteUInt32BigEndian(frame, (uint)(2 + body.Length));
        frame[4] = (byte)MessageId.Extended;
        frame[5] = extendedId;
        body.CopyTo(frame.AsSpan(HeaderLength));
        return frame;
    }

    /// <summary>Splits an id 20 message's payload into its extended id and a copy of the body (bounded by the reader's frame limit).</summary>
    public static (byte ExtendedId, byte[] Body) Split(in PeerMessage message)
    {
        if (message.Id != MessageId.Extended || message.Payload.Length < 1)
            throw new PeerProtocolException("extended message without an extended id");
        var payload = message.Payload;
        var id = payload.FirstSpan[0];
        return (id, payload.Slice(1).ToArray());
    }
}
