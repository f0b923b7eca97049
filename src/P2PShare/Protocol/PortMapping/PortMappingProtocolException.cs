namespace P2PShare.Protocol.PortMapping;

/// <summary>A router's answer (SSDP, IGD description, SOAP, NAT-PMP or PCP) that cannot be read.</summary>
internal sealed class PortMappingProtocolException(string message) : Exception(message);
