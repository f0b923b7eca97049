using P2PShare.Protocol.PortMapping;

namespace P2PShare.Networking.PortMapping;

/// <summary>One mapping a router granted: protocol, ports, and how long it lasts from when it was granted.</summary>
internal sealed record PortMapping(TransportProtocol Protocol, int InternalPort, int ExternalPort, TimeSpan Lifetime);
