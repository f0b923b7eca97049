namespace P2PShare.Protocol.PortMapping;

/// <summary>A device's answer to an M-SEARCH: where its description is, what it is, its unique name.</summary>
internal sealed record SsdpResponse(Uri Location, string SearchTarget, string UniqueServiceName);
