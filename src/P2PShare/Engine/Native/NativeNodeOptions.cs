using System.Net;
using P2PShare.Networking.Native;
using P2PShare.Protocol.Native;

namespace P2PShare.Engine.Native;

/// <summary>Everything a native-mode node is told at start; immutable while it runs.</summary>
internal sealed record NativeNodeOptions
{
    /// <summary>The user's --file: seeded when complete, otherwise downloaded into. The only path written.</summary>
    public required string FilePath { get; init; }

    /// <summary>TCP port to listen on and advertise; 0 lets the OS choose.</summary>
    public int ListenPort { get; init; }

    /// <summary>Default: all addresses, IPv6 dual-mode (so IPv4 peers show as ::ffff:a.b.c.d, as with the original).</summary>
    public IPAddress ListenAddress { get; init; } = IPAddress.IPv6Any;

    /// <summary>The --peer list: dialled at start and redialled with back-off (with jitter, through the engine's address book) whenever the connection drops.</summary>
    public IReadOnlyList<DnsEndPoint> Peers { get; init; } = [];

    public int MaxOutstandingRequestsPerPeer { get; init; } = 4;

    public TimeSpan RequestTimeout { get; init; } = TimeSpan.FromSeconds(20);

    public TimeSpan ConnectTimeout { get; init; } = TimeSpan.FromSeconds(10);

    public TimeSpan ReconnectDelay { get; init; } = TimeSpan.FromMilliseconds(500);

    public TimeSpan MaxReconnectDelay { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Attempts for a peer learnt by exchange (the --peer list retries for ever).</summary>
    public int ExchangedPeerAttempts { get; init; } = 4;

    public TimeSpan KeepAliveInterval { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>How often the piece bitmap is saved while downloading (and at the end).</summary>
    public TimeSpan ResumeSaveInterval { get; init; } = TimeSpan.FromSeconds(1);

    public int MaxConnections { get; init; } = 64;

    /// <summary>Dials in progress at once.</summary>
    public int MaxHalfOpen { get; init; } = 8;

    /// <summary>Addresses kept (--peer and learnt by exchange): exchange cannot grow the table beyond it.</summary>
    public int MaxKnownAddresses { get; init; } = 1000;

    /// <summary>Incoming connections still in their handshake at once; more are closed at once (each may hold a line's worth of memory until its timeout).</summary>
    public int MaxPendingHandshakes { get; init; } = NativePendingHandshakes.DefaultMax;

    /// <summary>Uploads queued per connection beyond which further requests get no answer.</summary>
    public int MaxQueuedUploadsPerPeer { get; init; } = 16;

    /// <summary>Offer per-piece hashes when the file has at most this many pieces (keeps the handshake line short).</summary>
    public int MaxPiecesForPieceHashes { get; init; } = 100_000;

    /// <summary>Whole-file hash mismatches after which the download gives up.</summary>
    public int MaxVerificationFailures { get; init; } = 3;

    /// <summary>Switch to TLS with peers that also ask for it (extension).</summary>
    public bool UseTls { get; init; }

    /// <summary>Shared secret of a private swarm (extension): peers that cannot prove it are refused.</summary>
    public string? Secret { get; init; }

    public NativeCodecLimits Limits { get; init; } = NativeCodecLimits.Default;

    /// <summary>Test hook: a pause before each piece this node uploads, to make a seeder slow.</summary>
    internal TimeSpan UploadDelayPerPiece { get; init; }

    /// <summary>Test hook: called with (peer id, piece index) for every request received.</summary>
    internal Action<string, int>? OnRequestReceived { get; init; }
}
