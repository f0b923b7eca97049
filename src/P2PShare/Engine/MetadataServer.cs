using P2PShare.Metainfo;
using P2PShare.Protocol.Extensions;
using P2PShare.Protocol.Wire;

namespace P2PShare.Engine;

/// <summary>
/// The extension messages of a running torrent session: records a peer's extended handshake and answers its
/// ut_metadata requests (BEP 9) with 16 KiB pieces of the info dictionary. Private torrents are served too:
/// a peer that reaches us already knows the info-hash, and BEP 27's point is that peers come only from the
/// tracker, which holds here (no PEX for private torrents, no DHT). Runs on the receive loop under the session lock.
/// </summary>
internal sealed class MetadataServer(Torrent torrent)
{
    /// <summary>A peer needs each piece once or twice; more than this per connection is a flood and ends it.</summary>
    public int MaxRequestsPerPeer { get; } = 2 * MetadataMessage.PieceCount(torrent.InfoBytes.Length) + 16;

    /// <summary>A ut_metadata message body (sent to us under <see cref="ExtensionSupport.LocalUtMetadataId"/>).</summary>
    public void Handle(PeerSession peer, ReadOnlyMemory<byte> body)
    {
        var request = MetadataMessage.Parse(body);
        if (request.Type != MetadataMessageType.Request)
            return; // We never ask a session peer for metadata.
        if (peer.Extensions?.IdOf(ExtensionHandshake.UtMetadata) is not { } remoteId)
            throw new PeerProtocolException("ut_metadata request from a peer that did not announce ut_metadata");
        if (++peer.MetadataRequests > MaxRequestsPerPeer)
            throw new PeerProtocolException($"more than {MaxRequestsPerPeer} metadata requests");
        var size = torrent.InfoBytes.Length;
        var piece = request.Piece;
        var reply = piece < MetadataMessage.PieceCount(size)
            ? MetadataMessage.DataPiece(piece, size, torrent.InfoBytes.Slice(piece * MetadataMessage.PieceLength, MetadataMessage.PieceSize(size, piece)))
            : MetadataMessage.Reject(piece);
        peer.Enqueue(OutgoingMessage.Frame(ExtensionSupport.MetadataFrame(remoteId, reply)));
    }
}
