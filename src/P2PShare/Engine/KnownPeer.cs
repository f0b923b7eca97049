using System.Net;

namespace P2PShare.Engine;

/// <summary>An address learnt from a tracker, the command line, resume data or an incoming connection.</summary>
internal sealed class KnownPeer(IPEndPoint endPoint, PeerSource source = PeerSource.Given) : DialState
{
    public PeerSource Source { get; } = source;

    public IPEndPoint EndPoint { get; } = endPoint;

    /// <summary>Sent us verified data at some point: worth redialling when it drops.</summary>
    public bool WasUseful { get; set; }

    public int Redials { get; set; }

    /// <summary>Why the last dial failed (null: it has not failed, or the last one succeeded).</summary>
    public Diagnosis.DialFailureKind? LastFailureKind { get; set; }

    /// <summary>The last failed dial's error text.</summary>
    public string? LastFailureMessage { get; set; }
}
