using System.Net;

namespace P2PShare.Engine.Native;

/// <summary>A native-mode address being kept connected: a --peer one (retried for ever) or one learnt by exchange.</summary>
internal sealed class NativeDialEntry(DnsEndPoint endPoint) : DialState
{
    public DnsEndPoint EndPoint { get; } = endPoint;

    /// <summary>From --peer: redialled for ever. Otherwise learnt by exchange: a few attempts each time it is learnt.</summary>
    public bool Persistent { get; set; }

    /// <summary>The node id last seen at this address (to tell that it already dialled us).</summary>
    public string? KnownId { get; set; }

    /// <summary>A dial loop runs for this address.</summary>
    public bool Looping { get; set; }
}
