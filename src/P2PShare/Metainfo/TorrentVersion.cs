namespace P2PShare.Metainfo;

/// <summary>Which hashes a torrent carries: BEP 3 SHA-1 pieces, BEP 52 merkle roots, or both (a hybrid).</summary>
public enum TorrentVersion
{
    V1,
    V2,
    Hybrid,
}
