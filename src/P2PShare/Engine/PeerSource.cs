namespace P2PShare.Engine;

/// <summary>Where we learnt of a peer (shown per peer, so a user can see which sources work).</summary>
public enum PeerSource
{
    /// <summary>--peer, a magnet's x.pe, or an RPC call.</summary>
    Given,

    Tracker,

    Dht,

    Pex,

    /// <summary>Saved in resume data from an earlier run.</summary>
    Resume,

    /// <summary>It dialled us.</summary>
    Incoming,

    /// <summary>A BEP 19 web seed (an HTTP server), not a peer connection.</summary>
    WebSeed,

    /// <summary>A node of the native JSON protocol (p2p-file-share) serving the same file (docs/hybrid-node.md).</summary>
    Native,

    /// <summary>Local Service Discovery (BEP 14): it announced the torrent on the LAN's multicast group.</summary>
    Lsd,
}
