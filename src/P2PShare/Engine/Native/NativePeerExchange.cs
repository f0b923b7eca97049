using P2PShare.Networking.Native;
using P2PShare.Protocol.Native;

namespace P2PShare.Engine.Native;

/// <summary>
/// Native peer exchange as the accepting side does it (the protocol has no other): the newcomer hears of the peers
/// already connected, and each of them hears of the newcomer. An entry is the socket's remote address (as the original
/// reports it, often IPv4-mapped) with the listening port the peer advertised; a peer that advertised none is not
/// named. Used by the native node and by a torrent's native peers on the hybrid node.
/// </summary>
internal static class NativePeerExchange
{
    public static void Introduce(NativeConnection newcomer, IEnumerable<NativeConnection> connected, int maxPerMessage)
    {
        var others = connected.Where(c => !ReferenceEquals(c, newcomer) && Listens(c)).ToList();
        if (others.Count > 0)
            newcomer.Send(new NativePeers([.. others.Take(maxPerMessage).Select(Entry)]));
        if (!Listens(newcomer))
            return;
        var announcement = new NativePeers([Entry(newcomer)]);
        foreach (var other in others)
            other.Send(announcement);
    }

    private static bool Listens(NativeConnection connection) => connection.RemoteHandshake.Port is > 0 and <= 65535;

    private static NativePeerInfo Entry(NativeConnection connection) =>
        new(connection.RemoteHandshake.Id, connection.RemoteEndPoint.Address.ToString(), connection.RemoteHandshake.Port);
}
