namespace P2PShare.Networking.Utp;

/// <summary>Limits and timings of the uTP transport (immutable; defaults suit a BitTorrent client).</summary>
internal sealed record UtpOptions
{
    /// <summary>Payload bytes per data packet: 1400 + 20 (uTP) + 8 (UDP) + 20 (IPv4) stays under a 1500-byte MTU.</summary>
    public int MaxPayload { get; init; } = 1400;

    /// <summary>Connections (incoming and outgoing, any state) the manager holds at once.</summary>
    public int MaxConnections { get; init; } = 512;

    /// <summary>Incoming connections accepted by the protocol but not yet taken by AcceptAsync; SYNs beyond are reset.</summary>
    public int AcceptBacklog { get; init; } = 32;

    /// <summary>
    /// Received data buffered per connection (in order and out of order); the advertised window. Above the
    /// bandwidth-delay product of a fast long link (200 Mbit/s at 100 ms is 2.5 MB); memory is taken only as data waits.
    /// </summary>
    public int ReceiveBufferSize { get; init; } = 4 * 1024 * 1024;

    /// <summary>Written data not yet packetised, per connection; WriteAsync waits while it is full.</summary>
    public int SendBufferSize { get; init; } = 256 * 1024;

    /// <summary>Upper bound of the congestion window in bytes (LEDBAT's delay target keeps it lower on a queueing link).</summary>
    public int MaxWindow { get; init; } = 4 * 1024 * 1024;

    /// <summary>How long a SYN (and its resends) may go unanswered: libtorrent's utp_connect_timeout.</summary>
    public TimeSpan ConnectTimeout { get; init; } = TimeSpan.FromSeconds(3);

    /// <summary>Consecutive retransmission timeouts after which a connection is given up (0.5+1+2+4+8+16 s at the minimum RTO).</summary>
    public int MaxConsecutiveTimeouts { get; init; } = 6;

    /// <summary>An empty STATE packet is sent when nothing was sent for this long.</summary>
    public TimeSpan KeepAliveInterval { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>A connection that receives nothing for this long is dropped.</summary>
    public TimeSpan IdleTimeout { get; init; } = TimeSpan.FromMinutes(3);

    /// <summary>How long a closed connection keeps sending its remaining data and FIN before it is dropped.</summary>
    public TimeSpan LingerTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Granularity of the timers (retransmission, keep-alive, SYN and idle timeouts).</summary>
    public TimeSpan TickInterval { get; init; } = TimeSpan.FromMilliseconds(50);
}
