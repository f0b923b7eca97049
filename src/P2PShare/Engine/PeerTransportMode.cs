namespace P2PShare.Engine;

/// <summary>Which transports peers are dialled over and accepted on (<c>--transport</c>).</summary>
public enum PeerTransportMode
{
    /// <summary>A staggered race for a peer of unknown transport (TCP first, uTP shortly after); both accepted.</summary>
    Both,

    /// <summary>TCP only: no uTP on the UDP port.</summary>
    Tcp,

    /// <summary>uTP only: outgoing over uTP; incoming TCP is still accepted (the listener is shared).</summary>
    Utp,
}
