namespace P2PShare.Engine;

/// <summary>
/// A source of whole pieces that is not a peer connection (a web seed). A piece it filled has it as the sender of
/// every block; the verifier tells it how each piece turned out. Called under the torrent session's lock.
/// </summary>
internal interface IPieceSender
{
    void OnPieceVerified(int pieceIndex, int bytes);

    void OnPieceFailed(int pieceIndex);

    /// <summary>What its verified bytes are counted as (<see cref="TorrentSession.DownloadedBySource"/>).</summary>
    PeerSource Source => PeerSource.WebSeed;
}
