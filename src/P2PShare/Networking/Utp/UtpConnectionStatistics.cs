namespace P2PShare.Networking.Utp;

/// <summary>A snapshot of one connection's counters and congestion state.</summary>
internal readonly record struct UtpConnectionStatistics(
    long PacketsSent,
    long PacketsReceived,
    long Retransmissions,
    long FastRetransmissions,
    long Timeouts,
    int CongestionWindow,
    TimeSpan SmoothedRtt,
    uint QueuingDelayMicroseconds);
