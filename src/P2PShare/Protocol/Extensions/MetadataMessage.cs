using P2PShare.Bencode;
using P2PShare.Protocol.Wire;

namespace P2PShare.Protocol.Extensions;

/// <summary>
/// A BEP 9 ut_metadata message: a bencoded dictionary (msg_type, piece, total_size for data), and for data
/// the raw bytes of that 16 KiB piece of the info dictionary right after it.
/// </summary>
internal readonly record struct MetadataMessage(MetadataMessageType Type, int Piece, long TotalSize = 0, ReadOnlyMemory<byte> Data = default)
{
    /// <summary>Metadata is exchanged in pieces of this size; only the last may be shorter.</summary>
    public const int PieceLength = 16 * 1024;

    /// <summary>The dictionary in front of the data is small; anything longer is not ut_metadata.</summary>
    private const int MaxDictionaryLength = 1024;

    public static MetadataMessage Request(int piece) => new(MetadataMessageType.Request, piece);

    public static MetadataMessage Reject(int piece) => new(MetadataMessageType.Reject, piece);

    public static MetadataMessage DataPiece(int piece, long totalSize, ReadOnlyMemory<byte> data) => new(MetadataMessageType.Data, piece, totalSize, data);

    /// <summary>How many pieces metadata of <paramref name="totalSize"/> bytes has.</summary>
    public static int PieceCount(long totalSize) => (int)((totalSize + PieceLength - 1) / PieceLength);

    /// <summary>The size of piece <paramref name="piece"/> of metadata of <paramref name="totalSize"/> bytes.</summary>
    public static int PieceSize(long totalSize, int piece) => (int)Math.Min(PieceLength, totalSize - (long)piece * PieceLength);

    /// <summary>The message body (what follows the extended id).</summary>
    public byte[] Encode()
    {
        var dictionary = new BDictionary
        {
            ["msg_type"] = new BInteger((int)Type),
            ["piece"] = new BInteger(Piece),
        };
        if (Type == MetadataMessageType.Data)
            dictionary["total_size"] = new BInteger(TotalSize);
        var head = BencodeEncoder.Encode(dictionary);
        if (Type != MetadataMessageType.Data)
            return head;
        var body = new byte[head.Length + Data.Length];
        head.CopyTo(body, 0);
        Data.Span.CopyTo(body.AsSpan(head.Length));
        return body;
    }

    /// <summary>Decodes a body; <see cref="Data"/> is a slice of <paramref name="body"/>.</summary>
    public static MetadataMessage Parse(ReadOnlyMemory<byte> body)
    {
        BValue value;
        int consumed;
        try
        {
            value = BencodeDecoder.DecodePrefix(body[..Math.Min(body.Length, MaxDictionaryLength)], out consumed, new BencodeOptions { MaxDepth = 4 });
        }
        catch (BencodeException error)
        {
            throw Bad($"not bencode ({error.Message})");
        }
        if (value is not BDictionary dictionary)
            throw Bad("not a dictionary");
        var type = Integer(dictionary, "msg_type") ?? throw Bad("no 'msg_type'");
        var piece = Integer(dictionary, "piece") ?? throw Bad("no 'piece'");
        if (piece is < 0 or > int.MaxValue)
            throw Bad($"piece {piece} is out of range");
        var rest = body[consumed..];
        switch (type)
        {
            case (int)MetadataMessageType.Request or (int)MetadataMessageType.Reject:
                if (!rest.IsEmpty)
                    throw Bad($"{rest.Length} bytes after a {(MetadataMessageType)type}");
                return new MetadataMessage((MetadataMessageType)type, (int)piece);
            case (int)MetadataMessageType.Data:
                var total = Integer(dictionary, "total_size") ?? throw Bad("data without 'total_size'");
                if (total <= 0)
                    throw Bad($"total_size {total}");
                if (rest.Length is 0 or > PieceLength)
                    throw Bad($"data piece of {rest.Length} bytes");
                return new MetadataMessage(MetadataMessageType.Data, (int)piece, total, rest);
            default:
                // BEP 9: an unknown msg_type is ignored, not an error.
                return new MetadataMessage((MetadataMessageType)Math.Clamp(type, int.MinValue, int.MaxValue), (int)piece);
        }
    }

    private static long? Integer(BDictionary dictionary, string key) => dictionary[key] switch
    {
        null => null,
        BInteger integer => integer.Value,
        _ => throw Bad($"'{key}' is not an integer"),
    };

    private static PeerProtocolException Bad(string problem) => new($"ut_metadata: {problem}");
}
