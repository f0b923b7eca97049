using System.Net;

namespace P2PShare.Protocol.PortMapping;

/// <summary>A PCP MAP answer: result, granted lifetime, the nonce echoed, and the external port and address assigned.</summary>
internal sealed record PcpMapResponse(PcpResult Result, TimeSpan Lifetime, uint Epoch, byte[] Nonce, TransportProtocol Protocol, int InternalPort,
    int ExternalPort, IPAddress? ExternalAddress);
