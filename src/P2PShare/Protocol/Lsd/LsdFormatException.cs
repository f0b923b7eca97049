namespace P2PShare.Protocol.Lsd;

/// <summary>A datagram on the LSD port that is not a well-formed BEP 14 announce.</summary>
internal sealed class LsdFormatException(string message) : Exception(message);
