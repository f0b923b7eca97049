using Microsoft.Extensions.Logging;
using P2PShare.Metainfo;
using P2PShare.Protocol.Wire;

namespace P2PShare.Engine;

/// <summary>
/// The BEP 52 hash messages of one torrent: requests from peers go to the <see cref="HashServer"/>; our own requests
/// (piece layers for a torrent started from a magnet, block hashes of a failed piece) are sent through here, at most
/// <see cref="MaxOutstandingPerPeer"/> per peer, and each answer goes back to whoever asked, matched field for field.
/// An answer we did not ask for is ignored; one that does not prove what it claims is the peer's fault (the caller
/// throws). Runs under the torrent session's lock.
/// </summary>
internal sealed class HashExchange
{
    public const int MaxOutstandingPerPeer = 4;
    public static readonly TimeSpan RequestTimeout = TimeSpan.FromSeconds(15);

    private readonly Torrent _torrent;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly System.Runtime.CompilerServices.ConditionalWeakTable<PeerSession, List<Pending>> _pending = [];

    public HashExchange(Torrent torrent, List<PeerSession> peers, BadDataJudge judge, TimeProvider time, ILogger logger)
    {
        _torrent = torrent;
        _time = time;
        _logger = logger;
        Server = new HashServer(torrent, time);
        Layers = new PieceLayerFetcher(torrent, peers, this, logger);
        Blocks = new BadBlockFinder(torrent, peers, this, judge, logger);
    }

    public HashServer Server { get; }

    public PieceLayerFetcher Layers { get; }

    public BadBlockFinder Blocks { get; }

    /// <summary>Whether a peer takes hash requests: it set the v2 upgrade bit, or it used the v2 info-hash.</summary>
    public bool SpeaksV2(PeerSession peer) =>
        peer.Connection.Remote.SupportsV2 || (_torrent.V2 is { } v2 && peer.Connection.Remote.InfoHash.Equals(v2.InfoHash.Truncated));

    public int OutstandingWith(PeerSession peer) => _pending.TryGetValue(peer, out var list) ? list.Count : 0;

    /// <summary>Sends a request if the peer speaks v2 and has room; false otherwise.</summary>
    public bool TrySend(PeerSession peer, in HashRequest request, Action<PeerSession, HashRequest, byte[]?> onAnswer)
    {
        if (!SpeaksV2(peer) || peer.Lifetime.IsCancellationRequested)
        {
            _logger.LogDebug("Peer {Peer} does not speak v2 (reserved {Reserved:x16}); no hash request", peer.Name, peer.Connection.Remote.Reserved);
            return false;
        }
        var list = _pending.GetOrCreateValue(peer);
        if (list.Count >= MaxOutstandingPerPeer)
            return false;
        list.Add(new Pending(request, _time.GetTimestamp(), onAnswer));
        _logger.LogDebug("Asking {Peer} for {Request}", peer.Name, request);
        peer.Enqueue(OutgoingMessage.Frame(HashMessages.EncodeRequest(MessageId.HashRequest, request)));
        return true;
    }

    public void Handle(PeerSession peer, in PeerMessage message)
    {
        switch (message.Id)
        {
            case MessageId.HashRequest:
                Server.OnRequest(peer, HashMessages.ParseRequest(message.Payload));
                break;
            case MessageId.Hashes:
                var answered = HashMessages.ParseHashes(message.Payload, out var hashes);
                Complete(peer, answered, hashes);
                break;
            case MessageId.HashReject:
                Complete(peer, HashMessages.ParseRequest(message.Payload), null);
                break;
        }
    }

    /// <summary>Requests unanswered for too long are given up (their owners ask someone else); then the owners go on.</summary>
    public void Tick(IEnumerable<PeerSession> peers)
    {
        var now = _time.GetTimestamp();
        foreach (var peer in peers)
        {
            if (!_pending.TryGetValue(peer, out var list))
                continue;
            for (var i = list.Count - 1; i >= 0; i--)
            {
                if (_time.GetElapsedTime(list[i].SentAt, now) < RequestTimeout)
                    continue;
                var expired = list[i];
                list.RemoveAt(i);
                expired.OnAnswer(peer, expired.Request, null);
            }
        }
        Layers.Pump();
    }

    private void Complete(PeerSession peer, HashRequest answered, byte[]? hashes)
    {
        if (!_pending.TryGetValue(peer, out var list))
            return;
        var index = list.FindIndex(p => p.Request == answered);
        if (index < 0)
        {
            _logger.LogDebug("Peer {Peer} answered a hash request we did not send ({Request})", peer.Name, answered);
            return;
        }
        var pending = list[index];
        list.RemoveAt(index);
        _logger.LogDebug("Peer {Peer} {Answer} {Request}", peer.Name, hashes is null ? "rejected" : "answered", answered);
        pending.OnAnswer(peer, answered, hashes);
    }

    private readonly record struct Pending(HashRequest Request, long SentAt, Action<PeerSession, HashRequest, byte[]?> OnAnswer);
}
