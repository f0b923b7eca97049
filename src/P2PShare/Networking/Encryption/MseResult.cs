using P2PShare.Metainfo;

namespace P2PShare.Networking.Encryption;

/// <summary>
/// A peer connection ready for the BitTorrent handshake.
/// <see cref="Stream"/> is the payload stream: an <see cref="Rc4Stream"/> for RC4, the raw connection for MSE's
/// plaintext mode and for plain BitTorrent; bytes read ahead during the handshake are replayed by it.
/// <see cref="InitialPayload"/> holds what an MSE initiator sent in IA (normally its BitTorrent handshake),
/// to be consumed before reading <see cref="Stream"/>; <see cref="StreamWithInitialPayload"/> does that.
/// Disposing the stream closes the connection.
/// </summary>
internal sealed record MseResult(Stream Stream, EncryptionMethod Method, InfoHash? InfoHash, ReadOnlyMemory<byte> InitialPayload)
{
    /// <summary>True when an MSE handshake took place (RC4 or MSE's plaintext mode).</summary>
    public bool UsedMse => Method != EncryptionMethod.None;

    /// <summary>The payload stream with <see cref="InitialPayload"/> replayed in front of it.</summary>
    public Stream StreamWithInitialPayload() => InitialPayload.IsEmpty ? Stream : new PrefixedStream(Stream, InitialPayload);

    /// <summary>"rc4", "plaintext" (MSE, then clear) or "none" (plain BitTorrent): for logs and peer lists.</summary>
    public string Describe() => Describe(Method);

    public static string Describe(EncryptionMethod method) => method switch
    {
        EncryptionMethod.Rc4 => "rc4",
        EncryptionMethod.Plaintext => "plaintext",
        _ => "none",
    };
}
