namespace P2PShare.Metainfo;

/// <summary>What a piece's data says against the torrent's hashes.</summary>
internal enum PieceCheckResult
{
    Good,
    Bad,

    /// <summary>A hybrid whose v1 and v2 hashes disagree about the same data: the torrent itself is broken.</summary>
    Inconsistent,

    /// <summary>A v2 piece whose file's piece layer is not known yet (a magnet before the layers arrive).</summary>
    HashesUnknown,
}
