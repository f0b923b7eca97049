using System.Buffers;

namespace P2PShare.Protocol.Wire;

/// <summary>
/// One decoded message. <see cref="Payload"/> (piece data, bitfield bytes, extension payload) is a slice
/// of the receive buffer, valid only until the reader advances: consumers copy what they keep.
/// </summary>
internal readonly struct PeerMessage
{
    public PeerMessage(MessageId id, int index = 0, int begin = 0, int length = 0, ReadOnlySequence<byte> payload = default)
    {
        Id = id;
        Index = index;
        Begin = begin;
        Length = length;
        Payload = payload;
    }

    public MessageId Id { get; }

    /// <summary>Piece index (have, request, piece, cancel, suggest piece, allowed fast, reject request), or the DHT port (port).</summary>
    public int Index { get; }

    public int Begin { get; }

    /// <summary>Block length (request, cancel, reject request); for piece, the data length.</summary>
    public int Length { get; }

    public ReadOnlySequence<byte> Payload { get; }

    public override string ToString() => Id switch
    {
        MessageId.Have => $"have {Index}",
        MessageId.SuggestPiece or MessageId.AllowedFast => $"{Id} {Index}",
        MessageId.Request or MessageId.Cancel or MessageId.RejectRequest => $"{Id} {Index}:{Begin}+{Length}",
        MessageId.Piece => $"piece {Index}:{Begin}+{Length}",
        _ => Id.ToString(),
    };
}
