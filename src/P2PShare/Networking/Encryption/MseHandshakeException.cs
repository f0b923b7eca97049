namespace P2PShare.Networking.Encryption;

/// <summary>An MSE handshake failed: the peer sent something the protocol does not allow, went silent, or
/// offered nothing we accept. The connection must be closed.</summary>
internal sealed class MseHandshakeException(string message, Exception? inner = null) : IOException(message, inner);
