namespace P2PShare.Networking.Utp;

internal enum UtpConnectionState
{
    /// <summary>Our SYN is out; waiting for the STATE that acknowledges it.</summary>
    SynSent,

    /// <summary>Data flows both ways (also while closing: our FIN may be queued or in flight).</summary>
    Connected,

    /// <summary>Finished, reset or failed; buffers are back in the pool.</summary>
    Closed,
}
