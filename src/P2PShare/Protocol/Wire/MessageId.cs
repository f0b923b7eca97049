namespace P2PShare.Protocol.Wire;

internal enum MessageId : byte
{
    Choke = 0,
    Unchoke = 1,
    Interested = 2,
    NotInterested = 3,
    Have = 4,
    Bitfield = 5,
    Request = 6,
    Piece = 7,
    Cancel = 8,
    Port = 9,

    /// <summary>BEP 6 (Fast extension): "this piece would be a good one to ask me for"; payload: piece index.</summary>
    SuggestPiece = 0x0D,

    /// <summary>BEP 6: in place of a bitfield, "I have every piece"; no payload.</summary>
    HaveAll = 0x0E,

    /// <summary>BEP 6: in place of a bitfield, "I have no piece"; no payload.</summary>
    HaveNone = 0x0F,

    /// <summary>BEP 6: a request that will not be served; payload as a request's (index, begin, length).</summary>
    RejectRequest = 0x10,

    /// <summary>BEP 6: "you may request this piece even while I choke you"; payload: piece index.</summary>
    AllowedFast = 0x11,
    Extended = 20,

    /// <summary>BEP 52: asks for hashes of one layer of a file's merkle tree (pieces root, base layer, index, length, proof layers).</summary>
    HashRequest = 21,

    /// <summary>BEP 52: the answer to a hash request: the request's fields, then the hashes and their proof.</summary>
    Hashes = 22,

    /// <summary>BEP 52: a hash request that will not be served; payload as the request's.</summary>
    HashReject = 23,

    /// <summary>Not on the wire: a zero-length keep-alive.</summary>
    KeepAlive = 255,
}
