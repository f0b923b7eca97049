namespace P2PShare.Protocol.Utp;

/// <summary>BEP 29 packet types (the high nibble of a header's first byte).</summary>
internal enum UtpPacketType : byte
{
    Data = 0,
    Fin = 1,
    State = 2,
    Reset = 3,
    Syn = 4,
}
