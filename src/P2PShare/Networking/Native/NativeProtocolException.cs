namespace P2PShare.Networking.Native;

/// <summary>The remote broke the protocol badly enough that the connection is closed.</summary>
internal sealed class NativeProtocolException(string message) : IOException(message);
