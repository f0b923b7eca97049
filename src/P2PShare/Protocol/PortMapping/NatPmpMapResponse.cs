namespace P2PShare.Protocol.PortMapping;

/// <summary>The gateway's answer to a mapping request: the external port it chose and the lifetime it granted.</summary>
internal sealed record NatPmpMapResponse(NatPmpResult Result, uint Epoch, int InternalPort, int ExternalPort, TimeSpan Lifetime);
