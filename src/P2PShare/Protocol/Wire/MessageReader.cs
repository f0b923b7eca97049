using System.Buffers;
using System.Buffers.Binary;

namespace P2PShare.Protocol.Wire;

/// <summary>
/// Pure BEP 3 message framing: takes buffered bytes, yields messages without copying their payload.
/// The length prefix is checked against the message type before any payload is awaited, so a peer
/// cannot make us buffer more than one block.
/// </summary>
internal static class MessageReader
{
    /// <summary>Reads one message from the front of <paramref name="buffer"/> and advances it; false when more bytes are needed.</summary>
    public static bool TryRead(ref ReadOnlySequence<byte> buffer, in FrameLimits limits, out PeerMessage message)
    {
        message = default;
        if (buffer.Length < 4)
            return false;
        // Enough for the longest fixed-size message (request/cancel: 4 + 1 + 12).
        Span<byte> header = stackalloc byte[17];
        var headerLength = (int)Math.Min(buffer.Length, header.Length);
        buffer.Slice(0, headerLength).CopyTo(header);
        var length = BinaryPrimitives.ReadUInt32BigEndian(header);
        if (length == 0)
        {
            message = new PeerMessage(MessageId.KeepAlive);
            buffer = buffer.Slice(4);
            return true;
        }
        if (headerLength < 5)
            return false;
        var id = (MessageId)header[4];
        CheckLength(id, length, limits);
        if (buffer.Length < 4 + length)
            return false;
        header = header[..headerLength];

        var body = buffer.Slice(5, length - 1);
        message = id switch
        {
            MessageId.Choke or MessageId.Unchoke or MessageId.Interested or MessageId.NotInterested
                or MessageId.HaveAll or MessageId.HaveNone => new PeerMessage(id),
            MessageId.Have or MessageId.SuggestPiece or MessageId.AllowedFast => new PeerMessage(id, index: ReadIndex(header, 5)),
            MessageId.Bitfield => new PeerMessage(id, length: (int)length - 1, payload: body),
            MessageId.Request or MessageId.Cancel or MessageId.RejectRequest => new PeerMessage(id, ReadIndex(header, 5), ReadIndex(header, 9), ReadIndex(header, 13)),
            MessageId.Piece => new PeerMessage(id, ReadIndex(header, 5), ReadIndex(header, 9), (int)length - 9, body.Slice(8)),
            MessageId.Port => new PeerMessage(id, index: BinaryPrimitives.ReadUInt16BigEndian(header[5..])),
            _ => new PeerMessage(id, length: (int)length - 1, payload: body),
        };
        buffer = buffer.Slice(4 + length);
        return true;
    }

    private static void CheckLength(MessageId id, uint length, in FrameLimits limits)
    {
        var valid = id switch
        {
            MessageId.Choke or MessageId.Unchoke or MessageId.Interested or MessageId.NotInterested
                or MessageId.HaveAll or MessageId.HaveNone => length == 1,
            MessageId.Have or MessageId.SuggestPiece or MessageId.AllowedFast => length == 5,
            MessageId.Bitfield => limits.PieceCountKnown ? length == 1 + (uint)limits.BitfieldLength : length <= FrameLimits.MaxUnknownLength,
            MessageId.Request or MessageId.Cancel or MessageId.RejectRequest => length == 13,
            MessageId.Piece => length >= 9 && length <= 9 + (uint)limits.MaxBlockLength,
            MessageId.Port => length == 3,
            MessageId.Extended => length >= 2 && length <= 1 + (uint)limits.MaxExtendedLength,
            MessageId.HashRequest or MessageId.HashReject => length == 1 + HashMessages.RequestPayloadLength,
            MessageId.Hashes => length >= 1 + HashMessages.RequestPayloadLength && length <= 1 + HashMessages.MaxHashesPayloadLength
                && (length - 1 - HashMessages.RequestPayloadLength) % HashMessages.HashSize == 0,
            _ => length <= FrameLimits.MaxUnknownLength,
        };
        if (!valid)
            throw new PeerProtocolException($"{Describe(id)} message with invalid length {length}");
    }

    private static string Describe(MessageId id) => Enum.IsDefined(id) ? id.ToString().ToLowerInvariant() : $"unknown (id {(byte)id})";

    private static int ReadIndex(ReadOnlySpan<byte> header, int offset) => (int)BinaryPrimitives.ReadUInt32BigEndian(header[offset..]);
}
