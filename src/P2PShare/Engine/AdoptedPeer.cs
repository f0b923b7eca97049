using System.Net;
using P2PShare.Networking.Peers;
using P2PShare.Protocol.Extensions;

namespace P2PShare.Engine;

/// <summary>
/// A connection from a magnet's metadata phase that goes on into the data phase, with what its peer said so far:
/// the data phase carries on from here instead of dialling again.
/// </summary>
internal sealed record AdoptedPeer(
    PeerConnection Connection, IPEndPoint? DialledAddress, ExtensionHandshake? Extensions, byte[]? Bitfield, IReadOnlyList<int> Haves,
    bool PeerChoking, bool PeerInterested)
{
    /// <summary>The peer sent have-all (BEP 6) instead of a bitfield.</summary>
    public bool HaveAll { get; init; }

    /// <summary>The pieces it allowed us to fetch while choked (BEP 6).</summary>
    public IReadOnlyList<int> AllowedFast { get; init; } = [];

    /// <summary>Where the metadata phase learnt of the peer (its address keeps that source in the data phase).</summary>
    public PeerSource Source { get; init; } = PeerSource.Given;
}
