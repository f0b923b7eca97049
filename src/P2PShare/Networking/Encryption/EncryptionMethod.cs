namespace P2PShare.Networking.Encryption;

/// <summary>
/// MSE's crypto_provide / crypto_select bits, and what a connection ended up with. <see cref="None"/> as a
/// result means no MSE handshake took place (a plain BitTorrent connection).
/// </summary>
[Flags]
internal enum EncryptionMethod
{
    None = 0,

    /// <summary>MSE handshake (obfuscated header), then the payload in the clear.</summary>
    Plaintext = 0x01,

    /// <summary>MSE handshake, then the payload under RC4.</summary>
    Rc4 = 0x02,
}
