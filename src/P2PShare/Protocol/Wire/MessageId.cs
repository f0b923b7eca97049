namespace P2PShare.Protocol.Wire;

public enum MessageId : byte
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
    Extended = 20,

    /// <summary>Not on the wire: a zero-length keep-alive.</summary>
    KeepAlive = 255,
}
