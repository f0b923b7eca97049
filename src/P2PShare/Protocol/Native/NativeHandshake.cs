namespace P2PShare.Protocol.Native;

/// <summary>
/// First message on a connection. <see cref="PieceHashes"/>, <see cref="Tls"/> and <see cref="AuthNonce"/>
/// are P2PShare extensions; original nodes ignore them and never send them.
/// </summary>
internal sealed record NativeHandshake(
    string Id,
    string? FileName,
    long? FileSize,
    string? FileHash,
    int PieceSize,
    int Port) : NativeMessage
{
    /// <summary>Per-piece SHA-1 hashes (40 lowercase hex each), or null when not offered.</summary>
    public IReadOnlyList<string>? PieceHashes { get; init; }

    /// <summary>
    /// P2PShare extension level ("ext"): 1 means the sender understands keepalive, cancel and donthave.
    /// 0 (absent) for original nodes, which must never be sent those messages.
    /// </summary>
    public int Extensions { get; init; }

    /// <summary>True when the sender wants to switch the connection to TLS right after the handshakes.</summary>
    public bool Tls { get; init; }

    /// <summary>Random challenge for the shared-secret check; null when the sender has no secret.</summary>
    public string? AuthNonce { get; init; }
}
