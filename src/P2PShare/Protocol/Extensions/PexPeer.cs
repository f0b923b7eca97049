using System.Net;

namespace P2PShare.Protocol.Extensions;

/// <summary>One peer a BEP 11 ut_pex message adds: its listen address and the sender's flag byte about it.</summary>
internal readonly record struct PexPeer(IPEndPoint EndPoint, byte Flags = 0)
{
    /// <summary>BEP 11 'added.f' bit: the peer prefers encryption.</summary>
    public const byte PrefersEncryption = 0x01;

    /// <summary>BEP 11 'added.f' bit: the peer is a seed or upload-only.</summary>
    public const byte Seed = 0x02;

    /// <summary>BEP 11 'added.f' bit: the peer supports uTP.</summary>
    public const byte SupportsUtp = 0x04;

    /// <summary>BEP 11 'added.f' bit: the peer supports the holepunch extension.</summary>
    public const byte SupportsHolepunch = 0x08;

    /// <summary>BEP 11 'added.f' bit: the sender reached the peer itself (an outgoing connection).</summary>
    public const byte Reachable = 0x10;
}
