using System.Net;

namespace P2PShare.Networking.Dht;

/// <summary>An announce: the get_peers lookup it made, and how many of the closest nodes accepted announce_peer.</summary>
internal sealed record DhtAnnounceResult(DhtLookupResult Lookup, int AnnouncedTo, int Acknowledged)
{
    public IReadOnlyList<IPEndPoint> Peers => Lookup.Peers;
}
