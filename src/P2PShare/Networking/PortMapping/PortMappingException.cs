namespace P2PShare.Networking.PortMapping;

/// <summary>A router that did not map (or unmap) a port: no answer, a refusal, or an unreadable answer.</summary>
internal sealed class PortMappingException(string message) : Exception(message);
