namespace P2PShare.Metainfo.Hashing;

/// <summary>
/// Receives the SHA-1 of one piece. The span is only valid during the call. An empty span means the piece could not
/// be hashed because some of its bytes are missing on disk (only when missing data is tolerated).
/// </summary>
internal delegate void PieceHashCallback(int pieceIndex, ReadOnlySpan<byte> hash);
