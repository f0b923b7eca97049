using System.Net;
using P2PShare.Metainfo;

namespace P2PShare.Networking.Lsd;

/// <summary>One torrent announced over LSD; disposing it stops the announces and the peer callbacks.</summary>
internal sealed class LsdRegistration(LocalServiceDiscovery owner, InfoHash infoHash, Action<IPEndPoint> onPeer) : IDisposable
{
    public InfoHash InfoHash { get; } = infoHash;

    public Action<IPEndPoint> OnPeer { get; } = onPeer;

    /// <summary>Touched by the announce loop only.</summary>
    public DateTimeOffset? LastAnnounce { get; set; }

    public int Announces { get; set; }

    public void Dispose() => owner.Unregister(this);
}
