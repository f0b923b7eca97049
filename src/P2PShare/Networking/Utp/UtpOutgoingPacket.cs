using P2PShare.Protocol.Utp;

namespace P2PShare.Networking.Utp;

/// <summary>
/// A sent packet kept until acknowledged (SYN, DATA, FIN), in a pooled buffer with room for the header. Reused
/// through the connection's free list; its buffer goes back to the pool only once no send of it is pending.
/// </summary>
internal sealed class UtpOutgoingPacket
{
    public byte[] Buffer = [];
    public int PayloadLength;
    public UtpPacketType Type;
    public ushort Sequence;
    public long LastSentAt;
    public int Transmissions;
    public bool NeedsResend;
    public bool FastResent;
    public int PendingSends;
    public bool Released;

    public int Length => UtpHeader.Size + PayloadLength;
}
