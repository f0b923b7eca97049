namespace P2PShare.Engine.Native;

/// <summary>How native peers are dialled and redialled (native mode and the hybrid node alike). Immutable.</summary>
internal sealed record NativeDialOptions
{
    public TimeSpan ConnectTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>First back-off after a failed dial, and the pause before redialling a connection that ended.</summary>
    public TimeSpan ReconnectDelay { get; init; } = TimeSpan.FromMilliseconds(500);

    /// <summary>Longest back-off; also the pause after a peer refused us.</summary>
    public TimeSpan MaxReconnectDelay { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Dials of an address learnt by exchange each time it is learnt (given addresses are retried for ever).</summary>
    public int ExchangedPeerAttempts { get; init; } = 4;

    /// <summary>Addresses kept: peer exchange cannot grow the table beyond it.</summary>
    public int MaxKnown { get; init; } = 1000;

    /// <summary>Dials in progress at once (also within the engine's half-open budget when there is one).</summary>
    public int MaxHalfOpen { get; init; } = 8;
}
