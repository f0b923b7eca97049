using P2PShare.Protocol.Wire;

namespace P2PShare.Engine;

/// <summary>
/// A message queued for a peer's send loop. Block means: read that block from disk and send it. A raw frame
/// (extension messages: rare, small) carries its encoded bytes.
/// </summary>
internal readonly record struct OutgoingMessage(MessageId Id, int Index = 0, int Begin = 0, int Length = 0, byte[]? Encoded = null)
{
    public static OutgoingMessage Block(int index, int begin, int length) => new(MessageId.Piece, index, begin, length);

    public static OutgoingMessage Frame(byte[] frame) => new(MessageId.Extended, Length: frame.Length, Encoded: frame);
}
