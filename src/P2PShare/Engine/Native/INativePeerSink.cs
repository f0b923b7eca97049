using P2PShare.Networking.Native;
using P2PShare.Protocol.Native;

namespace P2PShare.Engine.Native;

/// <summary>
/// A torrent that also takes peers of the native JSON protocol (docs/hybrid-node.md): the engine's
/// <see cref="NativeGateway"/> asks each registered torrent whether a newcomer's handshake names its file, and hands
/// the established connection to the one that answered.
/// </summary>
internal interface INativePeerSink
{
    /// <summary>
    /// How well <paramref name="theirs"/> matches this torrent's file: 2 the same whole-file SHA-1, 1 the same size
    /// (or a newcomer that names no file), 0 another file or none we can offer (a torrent of several files).
    /// </summary>
    int NativeMatch(NativeHandshake theirs);

    /// <summary>Our handshake to <paramref name="theirs"/> (id and port are the gateway's, one per process).</summary>
    ValueTask<NativeHandshake> NativeHandshakeForAsync(NativeHandshake theirs, string nodeId, int port, CancellationToken cancellationToken);

    /// <summary>Takes over an established connection (closes it when it cannot be admitted).</summary>
    void AttachNative(NativeConnection connection);
}
