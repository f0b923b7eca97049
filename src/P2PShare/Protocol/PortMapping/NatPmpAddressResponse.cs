using System.Net;

namespace P2PShare.Protocol.PortMapping;

/// <summary>The gateway's answer to an external address request (address null unless the result is success).</summary>
internal sealed record NatPmpAddressResponse(NatPmpResult Result, uint Epoch, IPAddress? ExternalAddress);
