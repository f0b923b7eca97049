namespace P2PShare.Networking.PortMapping;

internal enum PortMappingState
{
    /// <summary>Switched off (--no-port-mapping, or local-only).</summary>
    Off,

    /// <summary>Looking for a router, or asking it.</summary>
    Trying,

    /// <summary>TCP and UDP are mapped (or at least TCP, see the status).</summary>
    Mapped,

    /// <summary>No router mapped the port; the status says why.</summary>
    NotMapped,
}
