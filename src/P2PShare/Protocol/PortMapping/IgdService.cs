namespace P2PShare.Protocol.PortMapping;

/// <summary>A WANIPConnection or WANPPPConnection service of an Internet Gateway Device: its type URN and control URL.</summary>
internal sealed record IgdService(string ServiceType, Uri ControlUrl);
