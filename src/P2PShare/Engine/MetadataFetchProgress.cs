namespace P2PShare.Engine;

/// <summary>The metadata phase of a magnet link as a progress display shows it.</summary>
internal sealed record MetadataFetchProgress(int Peers, int PeersWithMetadata, int PiecesReceived, int PieceCount);
