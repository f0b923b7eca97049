namespace P2PShare.Networking.Encryption;

/// <summary>Whether peer connections use Message Stream Encryption (MSE/PE).</summary>
public enum EncryptionPolicy
{
    /// <summary>Outgoing: MSE with RC4 first, plain BitTorrent when the peer refuses. Incoming: both accepted.</summary>
    Prefer,

    /// <summary>RC4 only, both ways: plain BitTorrent and MSE's plaintext mode are refused.</summary>
    Require,

    /// <summary>Plain BitTorrent only: no MSE handshake is started, incoming MSE handshakes are refused.</summary>
    Disable,
}
