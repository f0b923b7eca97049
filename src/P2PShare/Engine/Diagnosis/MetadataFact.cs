namespace P2PShare.Engine.Diagnosis;

/// <summary>A magnet's metadata phase: peers that offer the info dictionary and how much of it has arrived.</summary>
internal sealed record MetadataFact(int PeersWithMetadata, int PiecesReceived, int PieceCount);
