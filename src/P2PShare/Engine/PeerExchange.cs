using System.Net;
using Microsoft.Extensions.Logging;
using P2PShare.Metainfo;
using P2PShare.Networking.Peers;
using P2PShare.Protocol.Extensions;

namespace P2PShare.Engine;

/// <summary>
/// BEP 11 peer exchange for one torrent session. Received ut_pex 'added' addresses go to the dialer; every
/// <see cref="SendInterval"/> each peer that announced ut_pex is sent the listen addresses of our other peers as
/// a diff against what it was sent before. Private torrents do neither (BEP 27), and we do not announce ut_pex
/// for them. A peer that sends PEX more often than <see cref="MinReceiveInterval"/> after its first two messages
/// has the extra messages ignored (not dropped: a chatty client is still a useful peer). Runs under the session
/// lock, which it shares; the send side runs from the session's one-second tick.
/// </summary>
internal sealed class PeerExchange(Torrent torrent, List<PeerSession> peers, PeerDialer dialer, TimeProvider time, ILogger logger)
{
    /// <summary>BEP 11: at most one message per minute to a peer.</summary>
    public static readonly TimeSpan SendInterval = TimeSpan.FromSeconds(60);

    /// <summary>Messages closer together than this (after the first two) are ignored; a little under 30 s for timer jitter.</summary>
    public static readonly TimeSpan MinReceiveInterval = TimeSpan.FromSeconds(25);

    /// <summary>PEX adds no more addresses once the dialer knows this many: a swarm of liars cannot grow it without bound.</summary>
    public const int MaxKnownAddresses = 2000;

    public bool Enabled => !torrent.IsPrivate;

    /// <summary>The peer's extended handshake arrived: if it speaks ut_pex, it gets its first message on the next tick.</summary>
    public void OnHandshake(PeerSession peer)
    {
        if (!Enabled || peer.Extensions?.IdOf(ExtensionSupport.UtPex) is null || peer.PexSent is not null)
            return;
        peer.PexSent = [];
        peer.PexNextSendAt = time.GetTimestamp();
    }

    /// <summary>A ut_pex message body the peer sent under our id.</summary>
    public void OnMessage(PeerSession peer, ReadOnlyMemory<byte> body)
    {
        if (!Enabled)
            return; // Never announced for a private torrent: ignored like any unannounced extension.
        var now = time.GetTimestamp();
        if (peer.PexReceived >= 2 && time.GetElapsedTime(peer.PexLastReceivedAt, now) < MinReceiveInterval)
        {
            logger.LogDebug("Ignoring PEX from {Peer}: sent again within {Interval}", peer.Name, MinReceiveInterval);
            return;
        }
        var message = PexMessage.Parse(body);
        peer.PexReceived++;
        peer.PexLastReceivedAt = now;
        var room = MaxKnownAddresses - dialer.KnownCount;
        var added = message.Added.Where(p => IsDiallable(p.EndPoint)).Take(Math.Max(0, room)).ToList();
        if (added.Count == 0)
            return;
        var learnt = added.Select(p => p.EndPoint).ToList();
        logger.LogDebug("PEX from {Peer}: {Count} addresses ({Addresses})", peer.Name, learnt.Count, string.Join(", ", learnt.Take(10)));
        dialer.Add(learnt, PeerSource.Pex);
        // BEP 11 0x04: the sender reached the peer over uTP (libtorrent sets it for uTP connections). No flag says nothing:
        // libtorrent sets it only for its uTP connections, so a TCP-connected peer may well speak uTP too.
        dialer.HintUtp(added.Where(p => (p.Flags & PexPeer.SupportsUtp) != 0).Select(p => p.EndPoint));
    }

    /// <summary>Sends each peer that is due the changes in our peer list since its last message.</summary>
    public void Tick(long now)
    {
        if (!Enabled)
            return;
        Dictionary<IPEndPoint, byte>? current = null;
        foreach (var peer in peers)
        {
            if (peer.PexSent is null || now < peer.PexNextSendAt || peer.Lifetime.IsCancellationRequested
                || peer.Extensions?.IdOf(ExtensionSupport.UtPex) is not { } remoteId)
                continue;
            current ??= ListenAddresses();
            if (Diff(current, peer.PexSent, peer.ListenEndPoint) is not { } message)
                continue; // Nothing new: looked at again next tick, so the first real message goes out as soon as there is one.
            peer.PexNextSendAt = now + (long)(SendInterval.TotalSeconds * time.TimestampFrequency);
            var frame = ExtendedMessage.Frame(remoteId, message.Encode());
            peer.Enqueue(OutgoingMessage.Frame(frame));
        }
    }

    /// <summary>
    /// The next message for a peer that was told <paramref name="sent"/>: addresses in <paramref name="current"/> it
    /// was not told (never its own, <paramref name="recipient"/>) and told ones no longer current, at most
    /// <see cref="PexMessage.MaxSentPerList"/> of each; <paramref name="sent"/> is updated to match. Null when
    /// there is no change.
    /// </summary>
    public static PexMessage? Diff(IReadOnlyDictionary<IPEndPoint, byte> current, HashSet<IPEndPoint> sent, IPEndPoint? recipient)
    {
        var added = current.Where(pair => !pair.Key.Equals(recipient) && !sent.Contains(pair.Key))
            .Take(PexMessage.MaxSentPerList).Select(pair => new PexPeer(pair.Key, pair.Value)).ToList();
        var dropped = sent.Where(e => !current.ContainsKey(e) || e.Equals(recipient)).Take(PexMessage.MaxSentPerList).ToList();
        if (added.Count == 0 && dropped.Count == 0)
            return null;
        foreach (var entry in added)
            sent.Add(entry.EndPoint);
        foreach (var endPoint in dropped)
            sent.Remove(endPoint);
        return new PexMessage { Added = added, Dropped = dropped };
    }

    /// <summary>Where our connected peers listen (incoming ones only when they told us their port), with BEP 11 flags.</summary>
    private Dictionary<IPEndPoint, byte> ListenAddresses()
    {
        var addresses = new Dictionary<IPEndPoint, byte>();
        foreach (var peer in peers)
        {
            if (peer.Lifetime.IsCancellationRequested || peer.ListenEndPoint is not { } endPoint)
                continue;
            addresses[endPoint] = FlagsOf(peer.Connection.IsOutgoing, peer.Has.IsComplete, peer.Connection.Transport);
        }
        return addresses;
    }

    /// <summary>
    /// BEP 11 flags for a connected peer: reachable when we dialled it, seed when it has everything, uTP when the
    /// connection runs over uTP (what libtorrent sends; "utp" or "utp+rc4" and the like).
    /// </summary>
    internal static byte FlagsOf(bool isOutgoing, bool isSeed, string transport) =>
        (byte)((isOutgoing ? PexPeer.Reachable : 0) | (isSeed ? PexPeer.Seed : 0)
            | (transport.StartsWith(UtpPeerTransport.TransportName, StringComparison.Ordinal) ? PexPeer.SupportsUtp : 0));

    private static bool IsDiallable(IPEndPoint endPoint) =>
        endPoint.Port > 0 && !endPoint.Address.Equals(IPAddress.Any) && !endPoint.Address.Equals(IPAddress.IPv6Any)
        && !endPoint.Address.Equals(IPAddress.Broadcast) && !endPoint.Address.IsIPv6Multicast
        && !(endPoint.Address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork && endPoint.Address.GetAddressBytes()[0] >= 224);
}
