namespace P2PShare.Engine.WebSeeds;

/// <summary>How a torrent uses its BEP 19 web seeds. Immutable.</summary>
internal sealed record WebSeedOptions
{
    /// <summary>False: the torrent's web seeds are ignored (--no-web-seeds).</summary>
    public bool Enabled { get; init; } = true;

    /// <summary>Pieces fetched from one web seed at once (each holds one piece buffer): the memory bound per seed.</summary>
    public int PiecesInFlight { get; init; } = 2;

    /// <summary>Failures in a row (HTTP errors, wrong lengths, timeouts) after which a web seed is dropped.</summary>
    public int MaxConsecutiveFailures { get; init; } = 6;

    /// <summary>Pieces failing their hash after which a web seed is dropped.</summary>
    public int MaxHashFailures { get; init; } = 3;

    /// <summary>
    /// Pause after the first failure; about doubled for each further one in a row, up to <see cref="MaxBackoff"/>
    /// (Polly's exponential back-off with jitter, so seeds failing together do not retry in step).
    /// </summary>
    public TimeSpan FirstBackoff { get; init; } = TimeSpan.FromSeconds(1);

    public TimeSpan MaxBackoff { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>A piece's range requests must be answered completely within this long, or it counts as a failure (a stalled server).</summary>
    public TimeSpan RequestTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>With nothing to fetch (all remaining pieces busy with peers), look again after this long.</summary>
    public TimeSpan IdlePoll { get; init; } = TimeSpan.FromSeconds(1);
}
