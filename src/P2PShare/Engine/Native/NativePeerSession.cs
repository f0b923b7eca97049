using P2PShare.Networking.Native;

namespace P2PShare.Engine.Native;

/// <summary>What the node knows about one connected peer. Guarded by the node's lock.</summary>
internal sealed class NativePeerSession(NativeConnection connection, CancellationToken nodeStopping)
{
    public NativeConnection Connection { get; } = connection;

    public string Id => Connection.RemoteHandshake.Id;

    public bool UnderstandsExtensions => Connection.RemoteHandshake.Extensions >= 1;

    public HashSet<int> Pieces { get; } = [];

    public HashSet<int> Requested { get; } = [];

    public long PiecesReceived { get; set; }

    /// <summary>Stops only this connection (for example when a duplicate replaces it).</summary>
    public CancellationTokenSource Stop { get; } = CancellationTokenSource.CreateLinkedTokenSource(nodeStopping);
}
