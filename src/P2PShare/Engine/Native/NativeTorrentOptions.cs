using System.Net;

namespace P2PShare.Engine.Native;

/// <summary>How a torrent treats its native-protocol peers (docs/hybrid-node.md). Immutable.</summary>
internal sealed record NativeTorrentOptions
{
    /// <summary>Native peers of one torrent at once.</summary>
    public int MaxPeers { get; init; } = 32;

    /// <summary>Torrent pieces fetched from one native peer at once (each holds one piece buffer).</summary>
    public int PiecesInFlight { get; init; } = 2;

    /// <summary>Uploads queued per native peer; requests beyond are dropped (the peer asks again after its timeout).</summary>
    public int MaxQueuedUploads { get; init; } = 4;

    /// <summary>A requested native piece must arrive within this long, or the torrent piece goes back to the picker.</summary>
    public TimeSpan RequestTimeout { get; init; } = TimeSpan.FromSeconds(20);

    /// <summary>With nothing to fetch from a peer, look again after this long.</summary>
    public TimeSpan IdlePoll { get; init; } = TimeSpan.FromMilliseconds(250);

    /// <summary>How long a newcomer's handshake waits for the whole-file SHA-1 of a complete torrent.</summary>
    public TimeSpan SummaryWait { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>Per-piece hashes are offered only for files of at most this many native pieces (the handshake line's size).</summary>
    public int MaxPieceHashes { get; init; } = 100_000;

    /// <summary>Banned ids and addresses kept (bounded memory).</summary>
    public int MaxBans { get; init; } = 1024;

    /// <summary>Native peers to dial (--native-peer): kept connected, redialled with back-off for ever.</summary>
    public IReadOnlyList<DnsEndPoint> Peers { get; init; } = [];

    /// <summary>How native peers are dialled; peers learnt by exchange are bounded by its MaxKnown.</summary>
    internal NativeDialOptions Dial { get; init; } = new() { MaxKnown = 64, ExchangedPeerAttempts = 3, MaxHalfOpen = 4 };
}
