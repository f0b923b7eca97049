namespace P2PShare.Engine;

/// <summary>What eviction weighs of a connected peer.</summary>
internal readonly record struct EvictionCandidate(
    bool Closing, TimeSpan Connected, TimeSpan Silent, bool PeerInterested, bool DownloadingFromIt, long VerifiedBytes, long UploadedBytes);
