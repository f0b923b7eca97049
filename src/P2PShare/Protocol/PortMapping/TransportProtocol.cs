namespace P2PShare.Protocol.PortMapping;

/// <summary>The transport a port mapping is for; the values are the IANA protocol numbers PCP carries.</summary>
internal enum TransportProtocol : byte
{
    Tcp = 6,
    Udp = 17,
}
