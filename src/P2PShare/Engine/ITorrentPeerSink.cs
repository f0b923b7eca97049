using P2PShare.Networking.Peers;
using P2PShare.Protocol.Wire;

namespace P2PShare.Engine;

/// <summary>What the engine's listener needs of a torrent: the handshake to answer with, and who takes the connection.</summary>
internal interface ITorrentPeerSink
{
    Handshake OurHandshake { get; }

    /// <summary>Takes over a connection whose handshake named this torrent (closes it if it cannot be admitted).</summary>
    void Attach(PeerConnection connection);
}
