namespace P2PShare.Engine;

/// <summary>
/// A source of whole pieces that is not a peer connection (a web seed). A piece it filled has it as the sender of
/// every block; the verifier tells it how each piece turned out. Called under the torrent session's lock.
/// </summary>
internal interface IPieceSender
{
    /// <summary>Pieces it is filling or that wait for their verdict.</summary>
    int InFlight { get; set; }

    /// <summary>Completes with the piece's verdict: true when it passed (see <see cref="WholePieceDelivery"/>).</summary>
    Task<bool> AwaitVerdict(int pieceIndex);

    void OnPieceVerified(int pieceIndex, int bytes);

    void OnPieceFailed(int pieceIndex);

    /// <summary>
    /// Its copy of the piece was not checked: another copy was verified (or is being checked) first (endgame). Its
    /// verdict counts as passed, with no bytes credited.
    /// </summary>
    void OnPieceNotNeeded(int pieceIndex) => OnPieceVerified(pieceIndex, 0);

    /// <summary>What its verified bytes are counted as (<see cref="TorrentSession.DownloadedBySource"/>).</summary>
    PeerSource Source => PeerSource.WebSeed;
}
