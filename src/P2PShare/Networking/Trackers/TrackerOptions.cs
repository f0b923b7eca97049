namespace P2PShare.Networking.Trackers;

/// <summary>Tunables for tracker clients and the tracker manager. Defaults follow the BEPs and common practice.</summary>
internal sealed record TrackerOptions
{
    public static TrackerOptions Default { get; } = new();

    /// <summary>Per-request limit for HTTP trackers (a Polly timeout).</summary>
    public TimeSpan HttpTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Largest tracker answer read; anything longer is refused, never buffered.</summary>
    public int MaxResponseBytes { get; init; } = 2 * 1024 * 1024;

    /// <summary>BEP 15: wait 15·2^n seconds for an answer before retransmitting (shortened in tests).</summary>
    public TimeSpan UdpBaseTimeout { get; init; } = TimeSpan.FromSeconds(15);

    /// <summary>BEP 15: n goes up to 8.</summary>
    public int UdpMaxRetransmissions { get; init; } = 8;

    /// <summary>BEP 15: a connection id may be used for one minute.</summary>
    public TimeSpan UdpConnectionIdLifetime { get; init; } = TimeSpan.FromMinutes(1);

    /// <summary>The announce 'key'; null draws a random one per manager (per session).</summary>
    public uint? Key { get; init; }

    /// <summary>Retries of one HTTP request after a transient failure (exponential back-off with jitter).</summary>
    public int HttpRetryAttempts { get; init; } = 2;

    public TimeSpan RetryBaseDelay { get; init; } = TimeSpan.FromSeconds(1);

    public TimeSpan RetryMaxDelay { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Back-off when no tracker of any tier answered, doubling with jitter up to the maximum.</summary>
    public TimeSpan AllFailedBaseDelay { get; init; } = TimeSpan.FromSeconds(15);

    public TimeSpan AllFailedMaxDelay { get; init; } = TimeSpan.FromMinutes(30);

    /// <summary>Failed attempts within the sampling window that open a tracker's circuit.</summary>
    public int CircuitBreakerMinimumThroughput { get; init; } = 3;

    /// <summary>Window in which failures are counted; longer than an announce interval, so failures of consecutive rounds add up.</summary>
    public TimeSpan CircuitBreakerSamplingDuration { get; init; } = TimeSpan.FromHours(1);

    /// <summary>How long a tracker whose circuit opened is skipped (Polly requires more than 0.5 s).</summary>
    public TimeSpan CircuitBreakDuration { get; init; } = TimeSpan.FromMinutes(10);

    /// <summary>Used when a tracker gives no interval.</summary>
    public TimeSpan DefaultInterval { get; init; } = TimeSpan.FromMinutes(30);

    /// <summary>Used for early (peers wanted) re-announces when a tracker gives no min interval.</summary>
    public TimeSpan DefaultMinInterval { get; init; } = TimeSpan.FromMinutes(2);

    /// <summary>Floor for any interval a tracker gives: a tracker saying 0 must not make us hammer it.</summary>
    public TimeSpan MinimumInterval { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Ceiling for a tracker's interval, so a silly value does not leave us without peers for days.</summary>
    public TimeSpan MaximumInterval { get; init; } = TimeSpan.FromHours(2);

    /// <summary>How often the manager asks whether the engine wants peers.</summary>
    public TimeSpan PeersWantedPollInterval { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>Bound on the 'stopped' announce so that shutting down stays quick.</summary>
    public TimeSpan StoppedTimeout { get; init; } = TimeSpan.FromSeconds(3);

    /// <summary>
    /// Bound on the 'completed' announce (fall-over included): with a dead tracker it would otherwise hold up a
    /// --no-seed exit (or the first seeding tick) for every timeout and retry. Later announces still report left=0.
    /// </summary>
    public TimeSpan CompletedTimeout { get; init; } = TimeSpan.FromSeconds(3);

    public string UserAgent { get; init; } = "P2PShare/0.1";
}
