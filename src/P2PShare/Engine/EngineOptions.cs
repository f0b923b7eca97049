namespace P2PShare.Engine;

/// <summary>Tunables of a torrent session. Immutable: a running session never sees half-changed settings.</summary>
public sealed record EngineOptions
{
    public int MaxPeers { get; init; } = 50;

    public int MaxHalfOpen { get; init; } = 8;

    public TimeSpan ConnectTimeout { get; init; } = TimeSpan.FromSeconds(10);

    public int UploadSlots { get; init; } = 4;

    /// <summary>A request unanswered this long goes to another peer.</summary>
    public TimeSpan RequestTimeout { get; init; } = TimeSpan.FromSeconds(20);

    /// <summary>A peer that keeps us unchoked but sends nothing for this long is snubbed.</summary>
    public TimeSpan SnubTimeout { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>How many seconds of a peer's measured rate to keep requested (rate × this ≈ bandwidth-delay product with margin).</summary>
    public double RequestQueueSeconds { get; init; } = 2.0;

    public int MinRequestQueue { get; init; } = 16;

    public int MaxRequestQueue { get; init; } = 250;

    /// <summary>In endgame, at most this many peers are asked for the same block.</summary>
    public int EndgameDuplicates { get; init; } = 2;

    /// <summary>After this long without sending anything, a keep-alive goes out.</summary>
    public TimeSpan KeepAliveInterval { get; init; } = TimeSpan.FromSeconds(90);

    /// <summary>A peer that sends nothing at all (not even a keep-alive) for this long is dropped.</summary>
    public TimeSpan IdleTimeout { get; init; } = TimeSpan.FromMinutes(3);

    /// <summary>A peer this young is never evicted to admit another: it has had no chance to be useful.</summary>
    public TimeSpan EvictionGrace { get; init; } = TimeSpan.FromSeconds(10);

    public TimeSpan BanDuration { get; init; } = TimeSpan.FromHours(1);

    /// <summary>Dial attempts after the first failure, with exponential back-off and jitter.</summary>
    public int DialRetries { get; init; } = 3;

    public TimeSpan DialRetryDelay { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>How often a peer that was useful and dropped is dialled again before it is given up.</summary>
    public int MaxRedials { get; init; } = 5;

    /// <summary>Upload limit shared by all peers, bytes per second; null for none.</summary>
    public long? MaxUploadRate { get; init; }

    /// <summary>Download limit shared by all peers, bytes per second; null for none.</summary>
    public long? MaxDownloadRate { get; init; }

    /// <summary>Budget of the read cache that serves uploads (whole windows of pieces, least recently used dropped).</summary>
    public long ReadCacheBytes { get; init; } = 8 * 1024 * 1024;

    /// <summary>Our listen port, told to peers in the extended handshake ('p') so an incoming peer can dial us back; null: not told.</summary>
    public int? AdvertisedPort { get; init; }

    /// <summary>A ut_metadata request unanswered this long goes to another peer.</summary>
    public TimeSpan MetadataRequestTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>A peer that has not sent its extended handshake this long after connecting is dropped in the metadata phase.</summary>
    public TimeSpan ExtensionHandshakeTimeout { get; init; } = TimeSpan.FromSeconds(15);

    /// <summary>BEP 19 web seeds: on or off, pieces in flight per seed, back-off.</summary>
    internal WebSeeds.WebSeedOptions WebSeeds { get; init; } = new();

    /// <summary>Throws ArgumentException naming the first option out of range; returns this for chaining.</summary>
    public EngineOptions Validate()
    {
        Require(MaxPeers >= 1, "max peers must be at least 1");
        Require(MaxHalfOpen >= 1, "max half-open must be at least 1");
        Require(UploadSlots >= 0, "upload slots must not be negative");
        Require(MaxUploadRate is null or >= 0, "max upload rate must not be negative");
        Require(MaxDownloadRate is null or >= 0, "max download rate must not be negative");
        Require(ConnectTimeout > TimeSpan.Zero && RequestTimeout > TimeSpan.Zero && SnubTimeout > TimeSpan.Zero, "timeouts must be positive");
        Require(KeepAliveInterval > TimeSpan.Zero && IdleTimeout > KeepAliveInterval, "the idle timeout must be longer than the keep-alive interval");
        Require(MinRequestQueue >= 1 && MaxRequestQueue >= MinRequestQueue, "the request queue bounds must satisfy 1 <= min <= max");
        Require(RequestQueueSeconds >= 0, "request queue seconds must not be negative");
        Require(ReadCacheBytes >= 0, "read cache bytes must not be negative");
        return this;
    }

    private static void Require(bool condition, string message)
    {
        if (!condition)
            throw new ArgumentException(message);
    }

    /// <summary>How native-protocol peers are treated (docs/hybrid-node.md).</summary>
    internal Native.NativeTorrentOptions Native { get; init; } = new();
}
