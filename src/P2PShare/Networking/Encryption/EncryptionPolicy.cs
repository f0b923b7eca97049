namespace P2PShare.Networking.Encryption;

/// <summary>Whether peer connections use Message Stream Encryption (MSE/PE).</summary>
public enum EncryptionPolicy
{
    /// <summary>Outgoing: an MSE handshake offering RC4 or plaintext (the peer picks), plain BitTorrent when the peer refuses MSE. Incoming: both accepted; an MSE initiator offering both gets plaintext (as from a default libtorrent), RC4 when it offers only that.</summary>
    Prefer,

    /// <summary>RC4 only, both ways: plain BitTorrent and MSE's plaintext mode are refused.</summary>
    Require,

    /// <summary>Plain BitTorrent only: no MSE handshake is started, incoming MSE handshakes are refused.</summary>
    Disable,
}
