namespace P2PShare.Engine;

internal enum BlockOutcome
{
    Accepted,

    /// <summary>Requested once, but no longer needed (cancelled, or another peer sent it first).</summary>
    Unwanted,

    /// <summary>We never asked this peer for it: a protocol violation.</summary>
    NotRequested,
}
