namespace P2PShare.Engine.Diagnosis;

/// <summary>Why a dial to a peer's address did not produce a connection.</summary>
internal enum DialFailureKind
{
    /// <summary>The address answered with a reset: nothing listens there (or a firewall rejects).</summary>
    Refused,

    /// <summary>No answer (or no handshake) within the connect timeout.</summary>
    TimedOut,

    /// <summary>The peer closed a plain handshake while we do not encrypt, or refused or failed MSE while we do.</summary>
    EncryptionMismatch,

    /// <summary>The peer answered with something that is not a BitTorrent handshake for this torrent.</summary>
    Handshake,

    /// <summary>No route to the address or the network is down.</summary>
    Unreachable,

    /// <summary>Any other socket or stream failure (uTP gave up, connection reset mid-way, ...).</summary>
    Transport,
}
