namespace P2PShare.Networking.Encryption;

/// <summary>Limits and sources of an MSE handshake. The defaults suit real peers; tests shorten the timeouts.</summary>
internal sealed record MseOptions
{
    /// <summary>BEP limit of PadA, PadB, PadC and PadD.</summary>
    public const int MaxPadLength = 512;

    /// <summary>Longest initial payload (IA) accepted from an initiator: what len(IA)'s two bytes allow.</summary>
    public const int MaxInitialPayloadLength = ushort.MaxValue;

    public static MseOptions Default { get; } = new();

    /// <summary>Longest wait for any one step (a public key, a synchronisation, a length-prefixed field).</summary>
    public TimeSpan StepTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Longest time the whole handshake may take (bounds a peer that drips one byte per step).</summary>
    public TimeSpan HandshakeTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Longest padding we send (each pad is 0..this, random). At most <see cref="MaxPadLength"/>.</summary>
    public int PadLength { get; init; } = MaxPadLength;

    /// <summary>Clock of the timeouts.</summary>
    public TimeProvider TimeProvider { get; init; } = TimeProvider.System;

    /// <summary>Pad lengths and pad bytes (not key material: private keys come from <see cref="KeyFactory"/>).</summary>
    public Random Random { get; init; } = Random.Shared;

    /// <summary>Makes each handshake's Diffie-Hellman key pair (default: private key from the system's CSPRNG).</summary>
    public Func<DiffieHellman> KeyFactory { get; init; } = static () => new DiffieHellman();
}
