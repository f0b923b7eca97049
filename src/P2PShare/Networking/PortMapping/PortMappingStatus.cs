using System.Net;

namespace P2PShare.Networking.PortMapping;

/// <summary>What the port mapper has achieved: how (UPnP, PCP, NAT-PMP), the external address and ports, or why not.</summary>
internal sealed record PortMappingStatus(PortMappingState State, string? Method, IPAddress? ExternalAddress, int? ExternalTcpPort, int? ExternalUdpPort,
    string? Reason)
{
    public static PortMappingStatus Off { get; } = new(PortMappingState.Off, null, null, null, null, "switched off");

    public static PortMappingStatus Trying { get; } = new(PortMappingState.Trying, null, null, null, null, null);

    /// <summary>One line for the user: "mapped via UPnP: 11.0.0.1 TCP 6881, UDP 6881" or "not mapped: why".</summary>
    public string Describe() => State switch
    {
        PortMappingState.Off => "port mapping off",
        PortMappingState.Trying => "port mapping: asking the router",
        PortMappingState.Mapped => $"port mapped via {Method}: {ExternalAddress?.ToString() ?? "external address unknown"}"
            + $" TCP {ExternalTcpPort?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "not mapped"}"
            + $", UDP {ExternalUdpPort?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "not mapped"}",
        _ => $"port not mapped: {Reason}",
    };
}
