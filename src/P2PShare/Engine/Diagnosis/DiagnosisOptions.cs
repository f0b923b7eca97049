namespace P2PShare.Engine.Diagnosis;

/// <summary>Thresholds of the analyser.</summary>
internal sealed record DiagnosisOptions
{
    public static DiagnosisOptions Default { get; } = new();

    /// <summary>Before this, no peers yet is not a finding (trackers and the DHT take a moment).</summary>
    public TimeSpan StartupGrace { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>A peer choking us this long after it connected counts as never unchoking (clients rechoke every 10–15 s).</summary>
    public TimeSpan ChokedGrace { get; init; } = TimeSpan.FromSeconds(20);

    /// <summary>A rate at this share of its limit or more is capped by the limit.</summary>
    public double RateLimitShare { get; init; } = 0.8;

    /// <summary>Disk jobs (hash and write of a piece) slower than this on average make the disk the bottleneck.</summary>
    public double SlowDiskJobMilliseconds { get; init; } = 1000;

    /// <summary>A peer with this many failed pieces keeps failing hash checks.</summary>
    public int HashFailureThreshold { get; init; } = 2;

    /// <summary>Most evidence lines per finding (a swarm of hundreds would otherwise print hundreds).</summary>
    public int MaxEvidence { get; init; } = 8;
}
