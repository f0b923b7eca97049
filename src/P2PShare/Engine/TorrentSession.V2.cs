namespace P2PShare.Engine;

/// <summary>BEP 52 hash messages of a v2 or hybrid torrent: what the session's <see cref="HashExchange"/> did.</summary>
internal sealed partial class TorrentSession
{
    private readonly HashExchange? _hashes;

    /// <summary>Figures of the BEP 52 hash exchange; null for a v1 torrent.</summary>
    public V2HashStats? HashStats()
    {
        if (_hashes is null)
            return null;
        lock (_gate)
            return new V2HashStats(_hashes.Layers.MissingCount, _hashes.Layers.Received, _hashes.Server.Answered, _hashes.Server.Rejected,
                _hashes.Blocks.Resolved, _hashes.Blocks.Identified);
    }
}

/// <summary>Piece layers still missing and received from peers; hash requests we answered and rejected; failed pieces
/// whose bad blocks were found by their merkle leaves, and the senders identified that way.</summary>
internal sealed record V2HashStats(int LayersMissing, int LayersReceived, int RequestsAnswered, int RequestsRejected, int FailedPiecesResolved,
    int BadSendersIdentified);
