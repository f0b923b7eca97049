using System.Net;
using P2PShare.Protocol.PortMapping;

namespace P2PShare.Networking.PortMapping;

/// <summary>One way of asking a router for a mapping (a UPnP IGD service, or a NAT-PMP/PCP gateway).</summary>
internal interface IPortMappingMethod : IAsyncDisposable
{
    /// <summary>"UPnP", "PCP" or "NAT-PMP".</summary>
    string Name { get; }

    Task<PortMapping> MapAsync(TransportProtocol protocol, int internalPort, int externalPort, TimeSpan lease, CancellationToken cancellationToken);

    Task UnmapAsync(PortMapping mapping, CancellationToken cancellationToken);

    /// <summary>The router's external address; null when it does not say.</summary>
    Task<IPAddress?> GetExternalAddressAsync(CancellationToken cancellationToken);
}
