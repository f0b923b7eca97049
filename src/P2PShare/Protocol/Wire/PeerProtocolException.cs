namespace P2PShare.Protocol.Wire;

/// <summary>A peer broke the wire protocol; the connection to it is closed.</summary>
internal sealed class PeerProtocolException(string message) : Exception(message);
