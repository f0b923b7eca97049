using System.Net;
using P2PShare.Protocol.PortMapping;

namespace P2PShare.Networking.PortMapping;

/// <summary>How the port mapper reaches the router; every wait is bounded by one of these.</summary>
internal sealed record PortMappingOptions
{
    public bool Upnp { get; init; } = true;

    /// <summary>NAT-PMP (RFC 6886) at the default gateway (after PCP when <see cref="Pcp"/> is on and the gateway only speaks NAT-PMP).</summary>
    public bool NatPmp { get; init; } = true;

    /// <summary>PCP (RFC 6887) at the default gateway, tried before NAT-PMP.</summary>
    public bool Pcp { get; init; } = true;

    /// <summary>Lease asked for; renewed at half of what the router granted.</summary>
    public TimeSpan Lease { get; init; } = TimeSpan.FromHours(1);

    /// <summary>How long SSDP answers are collected after an M-SEARCH.</summary>
    public TimeSpan SearchTime { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>Whole-request limit of each HTTP exchange with the IGD (description, SOAP).</summary>
    public TimeSpan HttpTimeout { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>NAT-PMP/PCP: first retransmission wait (doubled per try, RFC 6886 3.1), and tries.</summary>
    public TimeSpan NatPmpFirstWait { get; init; } = TimeSpan.FromMilliseconds(250);

    public int NatPmpTries { get; init; } = 4;

    /// <summary>Devices answering a search that are tried (more answers are ignored).</summary>
    public int MaxSsdpAnswers { get; init; } = 8;

    /// <summary>Where M-SEARCH goes (the SSDP group; tests point it at a fake responder).</summary>
    public IPEndPoint SsdpEndPoint { get; init; } = new(IPAddress.Parse(SsdpMessage.MulticastAddress), SsdpMessage.Port);

    /// <summary>The NAT-PMP/PCP gateway; null: the default IPv4 gateways of the routing table.</summary>
    public IPAddress? Gateway { get; init; }

    /// <summary>Wait before trying again after nothing could be mapped (doubled up to <see cref="MaxRetryWait"/>).</summary>
    public TimeSpan RetryWait { get; init; } = TimeSpan.FromMinutes(1);

    public TimeSpan MaxRetryWait { get; init; } = TimeSpan.FromMinutes(30);

    /// <summary>What the router's mapping table shows.</summary>
    public string Description { get; init; } = "P2PShare";
}
