namespace P2PShare.Engine.Diagnosis;

/// <summary>The codes a diagnosis uses; stable, so scripts, the RPC and tests can match on them.</summary>
internal static class FindingCodes
{
    public const string MetadataWaiting = "metadata-waiting";
    public const string NoPeerSource = "no-peer-source";
    public const string TrackersFailing = "trackers-failing";
    public const string ConnectRefused = "connect-refused";
    public const string ConnectTimeout = "connect-timeout";
    public const string EncryptionMismatch = "encryption-mismatch";
    public const string HandshakeFailed = "handshake-failed";
    public const string Unreachable = "peers-unreachable";
    public const string TransportFailed = "transport-failed";
    public const string AllChoked = "all-choked";
    public const string NobodyInterested = "nobody-interested";
    public const string PiecesUnavailable = "pieces-unavailable";
    public const string RateLimited = "rate-limited";
    public const string DiskBottleneck = "disk-bottleneck";
    public const string HashFailures = "hash-failures";
    public const string Downloading = "downloading";
    public const string Seeding = "seeding";
    public const string Waiting = "waiting";
}
