using P2PShare.Engine.Disk;
using P2PShare.Networking;
using P2PShare.Networking.Dht;
using P2PShare.Networking.Encryption;
using P2PShare.Networking.Peers;

namespace P2PShare.Engine;

/// <summary>
/// What a torrent takes from the engine: the connection budget, the engine-wide rate limits (parents of the
/// torrent's own), the transport peers are dialled over, and the disk queue completed pieces wait in.
/// </summary>
internal sealed record SharedResources(ConnectionBudget Connections, TokenBucket Upload, TokenBucket Download, IPeerTransport Transport)
{
    /// <summary>Hashing and writing of completed pieces for all torrents, within one memory budget.</summary>
    public DiskQueue Disk { get; init; } = DiskQueue.Shared;

    /// <summary>Upload read cache of all torrents, one byte budget (null: each torrent keeps its own, of EngineOptions.ReadCacheBytes).</summary>
    public SharedReadCache? ReadCache { get; init; }

    /// <summary>The engine's DHT node; null when the DHT is off (or no UDP port).</summary>
    public DhtNode? Dht { get; init; }

    /// <summary>
    /// How dials use Message Stream Encryption (the engine's <see cref="EngineSettings.Encryption"/>; it follows
    /// <see cref="ClientEngine.ApplySettings"/>). Incoming connections are the engine's.
    /// </summary>
    public EncryptionPolicy Encryption { get; set; } = EncryptionPolicy.Prefer;

    /// <summary>The engine's native-protocol listener (our native node id and port); null when native peers are off.</summary>
    public Native.NativeGateway? Native { get; set; }

    /// <summary>No engine around (a torrent alone, in tests): no shared limits, plain TCP (no encryption).</summary>
    public static SharedResources Standalone(TimeProvider time) =>
        new(ConnectionBudget.Unlimited(), new TokenBucket(0, time), new TokenBucket(0, time), TcpPeerTransport.Instance) { Encryption = EncryptionPolicy.Disable };
}
