using P2PShare.Metainfo;

namespace P2PShare.Protocol.Lsd;

/// <summary>A parsed BEP 14 announce: the sender's listen port, the torrents it has, and its cookie (null when absent).</summary>
internal sealed record LsdAnnounce(int Port, IReadOnlyList<InfoHash> InfoHashes, string? Cookie);
