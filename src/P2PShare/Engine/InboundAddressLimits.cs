namespace P2PShare.Engine;

/// <summary>
/// Per-address limits on incoming connections before their handshake is done (see <see cref="InboundAddressLimiter"/>).
/// </summary>
internal sealed record InboundAddressLimits
{
    /// <summary>Handshakes one address may have in progress at once; more are closed at accept.</summary>
    public int MaxPendingPerAddress { get; init; } = 8;

    /// <summary>Failed handshakes (unknown info-hash, bad protocol, silence) an address may have in a burst.</summary>
    public double FailureBurst { get; init; } = 10;

    /// <summary>How fast an address earns back the right to fail, per second, once the burst is spent.</summary>
    public double FailuresPerSecond { get; init; } = 0.5;

    /// <summary>Addresses remembered at once; beyond it a new address is not tracked (the engine-wide cap still holds).</summary>
    public int MaxAddresses { get; init; } = 4096;

    public static InboundAddressLimits Default { get; } = new();

    public InboundAddressLimits Validate()
    {
        if (MaxPendingPerAddress < 1)
            throw new ArgumentException($"max pending handshakes per address {MaxPendingPerAddress}: must be at least 1");
        if (FailureBurst < 1)
            throw new ArgumentException($"handshake failure burst {FailureBurst}: must be at least 1");
        if (FailuresPerSecond <= 0)
            throw new ArgumentException($"handshake failures per second {FailuresPerSecond}: must be positive");
        if (MaxAddresses < 1)
            throw new ArgumentException($"max tracked addresses {MaxAddresses}: must be at least 1");
        return this;
    }
}
